import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { ExportJob, type ExportStart } from '../components/ExportJob';
import { Layout } from '../components/Layout';
import { Pager, useCursorPages } from '../components/Pager';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { locale, periodDates } from '../format';
import type { ResponseFilterInput } from '../gql/graphql';
import { StoresQuery } from '../graphql/operations';
import { LANGUAGES } from '../i18n';
import { ResponseExportQuery, ResponsesQuery, StartResponseExportMutation } from '../graphql/responses';

/** Responses on one page of the list. */
export const PAGE_SIZE = 25;
export const RESPONSE_PERIODS = ['7d', '30d', '90d', 'all'] as const;
type Period = (typeof RESPONSE_PERIODS)[number];
const TRISTATE = ['any', 'yes', 'no'] as const;
type Tristate = (typeof TRISTATE)[number];
/** The quality flags the API sets; another (a plugin's) is shown as its code. */
const KNOWN_FLAGS = ['fast_taps', 'straight_line', 'impossible_duration', 'clock_adjusted'];

/** What the filter form holds; kept in the address (?store=&zone=&language=&period=&comment=&quality=) so it can
 * be shared. */
export type Filters = {
  store: string; zone: string; language: string; period: Period; comment: Tristate; quality: Tristate;
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function filtersFrom(params: URLSearchParams): Filters {
  return {
    store: params.get('store') ?? '', zone: params.get('zone') ?? '',
    language: oneOf(params.get('language'), ['', ...LANGUAGES], ''),
    period: oneOf(params.get('period'), RESPONSE_PERIODS, '30d'),
    comment: oneOf(params.get('comment'), TRISTATE, 'any'), quality: oneOf(params.get('quality'), TRISTATE, 'any'),
  };
}

const yesNo = (value: Tristate): boolean | null => (value === 'any' ? null : value === 'yes');

/** The API's filter for the form: the period starts at local midnight of its first day (now's time zone). */
export function apiFilter(filters: Filters, today: Date): ResponseFilterInput {
  const filter: ResponseFilterInput = {};
  if (filters.store) {
    filter.storeIds = [filters.store];
  }
  if (filters.zone) {
    filter.zoneIds = [filters.zone];
  }
  if (filters.language) {
    filter.languages = [filters.language];
  }
  if (filters.period !== 'all') {
    const { from } = periodDates(filters.period, today);
    const [year, month, day] = from.split('-').map(Number);
    filter.since = new Date(year, month - 1, day).toISOString();
  }
  const comment = yesNo(filters.comment);
  if (comment !== null) {
    filter.hasComment = comment;
  }
  const flagged = yesNo(filters.quality);
  if (flagged !== null) {
    filter.flagged = flagged;
  }
  return filter;
}

function Select({ label, value, onChange, children, disabled, hint }: {
  label: string; value: string; onChange: (value: string) => void; children: ReactNode; disabled?: boolean;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(event) => onChange(event.target.value)}>{children}</select>
      {hint && <p className="hint" id={`${id}-hint`}>{hint}</p>}
    </div>
  );
}

function FilterForm({ filters, onChange }: { filters: Filters; onChange: (changed: Partial<Filters>) => void }) {
  const { t, i18n } = useTranslation();
  const names = new Intl.DisplayNames([locale(i18n.language)], { type: 'language' });
  const [{ data, error }] = useQuery({ query: StoresQuery });
  const stores = data?.stores.edges.map((e) => e.node) ?? [];
  const zones = stores.find((s) => s.id === filters.store)?.zones ?? [];
  return (
    <form className="filters" aria-label={t('responses.filters')} onSubmit={(event) => event.preventDefault()}>
      <Select label={t('responses.store')} value={filters.store} onChange={(store) => onChange({ store, zone: '' })}>
        <option value="">{t('responses.allStores')}</option>
        {stores.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
      </Select>
      <Select label={t('responses.zone')} value={filters.zone} disabled={!filters.store}
        onChange={(zone) => onChange({ zone })}>
        <option value="">{t('responses.allZones')}</option>
        {zones.map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
      </Select>
      <Select label={t('responses.filterLanguage')} value={filters.language} onChange={(language) => onChange({ language })}>
        <option value="">{t('responses.allLanguages')}</option>
        {LANGUAGES.map((code) => <option key={code} value={code}>{languageName(names, code)}</option>)}
      </Select>
      <Select label={t('responses.period')} value={filters.period}
        onChange={(period) => onChange({ period: period as Period })}>
        {RESPONSE_PERIODS.map((p) => <option key={p} value={p}>{t(`responses.period_${p}`)}</option>)}
      </Select>
      <Select label={t('responses.comment')} value={filters.comment}
        onChange={(comment) => onChange({ comment: comment as Tristate })}>
        {TRISTATE.map((v) => <option key={v} value={v}>{t(`responses.comment_${v}`)}</option>)}
      </Select>
      <Select label={t('responses.quality')} value={filters.quality} hint={t('responses.qualityHint')}
        onChange={(quality) => onChange({ quality: quality as Tristate })}>
        {TRISTATE.map((v) => <option key={v} value={v}>{t(`responses.quality_${v}`)}</option>)}
      </Select>
      {error && <p className="field-error">{t('responses.storesFailed')}</p>}
    </form>
  );
}

/** A language code as the portal's language names it (sv: "Swedish"); the code when it is not one. */
function languageName(names: Intl.DisplayNames, code: string): string {
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

function ResponseList({ filter, filtered }: { filter: ResponseFilterInput; filtered: boolean }) {
  const { t, i18n } = useTranslation();
  const pages = useCursorPages();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ResponsesQuery, variables: { filter, first: PAGE_SIZE, after: pages.after },
  });
  const when = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
  const languages = new Intl.DisplayNames([locale(i18n.language)], { type: 'language' });
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  const connection = data?.responses;
  const rows = connection?.edges.map((e) => e.node) ?? [];
  if (rows.length === 0) {
    return <Empty><p data-testid="responses-empty">{filtered ? t('responses.noMatch') : t('responses.none')}</p></Empty>;
  }
  return (
    <>
      <div className="table-scroll">
        <table data-testid="responses">
          <caption className="visually-hidden">{t('responses.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('responses.submitted')}</th>
              <th scope="col">{t('responses.where')}</th>
              <th scope="col">{t('responses.score')}</th>
              <th scope="col">{t('responses.commentColumn')}</th>
              <th scope="col">{t('responses.language')}</th>
              <th scope="col">{t('responses.flags')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{when.format(new Date(r.submittedAt))}<br /><span className="hint">{r.receiptCode}</span></td>
                <td>{r.store?.name ?? '—'}{r.zone && <><br /><span className="hint">{r.zone.name}</span></>}</td>
                <td>{r.outcome === null || r.outcome === undefined ? '—' : t('responses.outcome', { value: r.outcome })}</td>
                <td className="comment-cell">{r.comment || <span className="hint">{t('responses.noComment')}</span>}</td>
                <td>{languageName(languages, r.language)}</td>
                <td>
                  {r.qualityFlags.length === 0 ? <span className="hint">{t('responses.noFlags')}</span>
                    : r.qualityFlags.map((f) => KNOWN_FLAGS.includes(f) ? t(`responses.flag_${f}`) : f).join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={pages.page} hasNext={connection?.pageInfo.hasNextPage ?? false}
        endCursor={connection?.pageInfo.endCursor} onNext={pages.next} onPrevious={pages.previous}
        label={t('responses.pages')} />
    </>
  );
}

/** A CSV export of the responses the filter covers: started as a job, its progress polled to a download link. */
function ResponseExport({ filter }: { filter: ResponseFilterInput }) {
  const { t } = useTranslation();
  const [started, start] = useMutation(StartResponseExportMutation);
  const begin = async (): Promise<ExportStart> => {
    const result = await start({ filter });
    const payload = result.data?.startExport;
    return { failed: Boolean(result.error) || !payload, export: payload?.export, errors: payload?.errors };
  };
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">{t('responses.exportTitle')}</h2>
      <p>{t('responses.exportIntro')}</p>
      <ExportJob start={begin} starting={started.fetching} progressQuery={ResponseExportQuery} texts={{
        start: t('responses.startExport'), progress: t('responses.exportProgress'),
        queued: t('responses.exportQueued'), failed: t('responses.exportFailed'), ready: t('responses.exportReady'),
        download: t('responses.download'), rows: (done, count) => t('responses.exportRows', { done, count }),
      }} />
    </section>
  );
}

/** The responses the person may see (store managers: their stores', as the API decides), filtered, a page at a
 * time, with a CSV export of what the filter covers. */
export function ResponsesPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const key = JSON.stringify(filters);
  // The period's start is worked out once per filter choice, so a re-render never asks for a new list.
  const filter = useMemo(() => apiFilter(filters, new Date()), [key]);
  const filtered = Boolean(filters.store || filters.zone || filters.language || filters.period !== 'all' || filters.comment !== 'any'
    || filters.quality !== 'any');
  const onChange = (changed: Partial<Filters>) => {
    const next = { ...filters, ...changed };
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(next)) {
      if (value && value !== 'any' && !(name === 'period' && value === '30d')) {
        search.set(name, value);
      }
    }
    setParams(search, { replace: true });
  };
  return (
    <Layout title={t('responses.title')}>
      <FilterForm filters={filters} onChange={onChange} />
      <ResponseExport key={key} filter={filter} />
      <section aria-label={t('responses.caption')}>
        <ResponseList key={key} filter={filter} filtered={filtered} />
      </section>
    </Layout>
  );
}
