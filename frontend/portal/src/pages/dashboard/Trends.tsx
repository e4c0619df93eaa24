// The week-by-week responses and NPS of the chosen period.
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';

import { Empty, Loading } from '../../components/States';
import { formatDay, formatNumber } from '../../format';
import type { DashboardQuery as DashboardResult } from '../../gql/graphql';

const TrendChart = lazy(() => import('../../components/TrendChart'));

type Week = DashboardResult['insights']['trends']['weekly'][number];

export function Trends({ weeks }: { weeks: readonly Week[] }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const answered = weeks.filter((w) => w.n > 0);
  const points = weeks.map((w) => ({
    label: t('dashboard.weekOf', { day: formatDay(w.start, language) }),
    responses: w.n,
    nps: w.nps ?? null,
  }));
  return (
    <section className="card wide" aria-labelledby="trend-title">
      <h2 id="trend-title">{t('dashboard.trendTitle')}</h2>
      {answered.length === 0 ? <Empty><p data-testid="trend-empty">{t('dashboard.trendEmpty')}</p></Empty> : (
        <>
          <p className="hint">{t('dashboard.trendIntro')}</p>
          <Suspense fallback={<Loading label={t('dash.chartLoading')} />}>
            <TrendChart weeks={points} title={t('dashboard.trendTitle')}
              names={{ responses: t('dashboard.trendResponses'), nps: t('dashboard.trendNps') }} />
          </Suspense>
          <details>
            <summary>{t('dashboard.showTable')}</summary>
            <table data-testid="trend-table">
              <caption className="visually-hidden">{t('dashboard.trendTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('dashboard.week')}</th>
                  <th scope="col">{t('dashboard.trendResponses')}</th>
                  <th scope="col">{t('dashboard.trendNps')}</th>
                </tr>
              </thead>
              <tbody>
                {weeks.map((w, index) => (
                  <tr key={w.start}>
                    <th scope="row">{points[index].label}</th>
                    <td>{w.n}</td>
                    <td>{w.nps === null || w.nps === undefined ? t('dashboard.noScore') : formatNumber(w.nps, language, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
          <p className="hint">{t('dashboard.trendCaution')}</p>
        </>
      )}
    </section>
  );
}
