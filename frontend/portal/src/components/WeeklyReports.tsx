// The "Weekly report" card of a store: download links of the one-page PDF report of the last few ISO weeks.
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';

import { tenantDownload } from '../downloads';
import { graphql } from '../gql';
import { ErrorNotice, Loading } from './States';

export const WeeklyReportsQuery = graphql(`
  query WeeklyReports($id: ID!, $w0: String!, $w1: String!, $w2: String!, $w3: String!) {
    store(id: $id) {
      id
      w0: weeklyReportUrl(week: $w0)
      w1: weeklyReportUrl(week: $w1)
      w2: weeklyReportUrl(week: $w2)
      w3: weeklyReportUrl(week: $w3)
    }
  }
`);

/** The ISO week (`2026-W48`) of a day, read in UTC. */
export function isoWeek(day: Date): string {
  const date = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of the week names its year
  const yearStart = new Date(Date.UTC(date.getUTCFullYear(), 0, 1));
  const number = Math.ceil(((date.getTime() - yearStart.getTime()) / 86400000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(number).padStart(2, '0')}`;
}

/** The last `count` complete ISO weeks before `today`, newest first. */
export function lastWeeks(today: Date, count = 4): string[] {
  const weeks: string[] = [];
  for (let back = 1; back <= count; back += 1) {
    weeks.push(isoWeek(new Date(today.getTime() - back * 7 * 86400000)));
  }
  return weeks;
}

export function WeeklyReports({ storeId, tenantSlug, today = new Date() }: {
  storeId: string; tenantSlug: string | null | undefined; today?: Date;
}) {
  const { t } = useTranslation();
  const weeks = lastWeeks(today);
  const [{ data, fetching, error }] = useQuery({
    query: WeeklyReportsQuery,
    variables: { id: storeId, w0: weeks[0], w1: weeks[1], w2: weeks[2], w3: weeks[3] },
  });
  const store = data?.store;
  const urls = store ? [store.w0, store.w1, store.w2, store.w3] : [];
  return (
    <section className="card" aria-labelledby="weekly-report-title">
      <h2 id="weekly-report-title">{t('weeklyReport.title')}</h2>
      <p>{t('weeklyReport.intro')}</p>
      {fetching && !store ? <Loading /> : error && !store ? <ErrorNotice /> : (
        <ul className="downloads">
          {urls.map((url, index) => (
            <li key={weeks[index]}>
              <a href={tenantDownload(url, tenantSlug)} download>{t('weeklyReport.week', { week: weeks[index] })}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
