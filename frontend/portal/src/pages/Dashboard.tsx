import { lazy, Suspense, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';

import { useTenantRole } from '../components/AdminOnly';
import { Layout } from '../components/Layout';
import { LiveCounter } from '../components/LiveCounter';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { formatChange, formatInterval, formatNumber, PERIODS, periodDates, type PeriodKey } from '../format';
import type { DashboardQuery as DashboardResult } from '../gql/graphql';
import { DashboardQuery } from '../graphql/operations';
import { useSession } from '../session';
import { ImportanceMap } from './dashboard/ImportanceMap';
import { OutcomeCard } from './dashboard/OutcomeCards';
import { StoreChangeLog } from './dashboard/StoreChangeLog';
import { StoreComparison } from './dashboard/StoreComparison';
import { Trends } from './dashboard/Trends';

const GoalProfileChart = lazy(() => import('../components/GoalProfileChart'));

type Insights = DashboardResult['insights'];

/** "Where to optimise" for a store manager: the first goal to work on, in a sentence, with its levers. */
export function FirstChange({ insights }: { insights: Insights }) {
  const { t, i18n } = useTranslation();
  const first = insights.optimise[0];
  const language = i18n.language;
  if (!first || !first.uplift.sufficient || first.uplift.value === null || first.uplift.value === undefined) {
    return (
      <section className="card first-change" aria-labelledby="first-title">
        <h2 id="first-title">{t('dash.firstTitle')}</h2>
        <Empty><p>{t('dash.firstTooFew', { count: insights.n })}</p></Empty>
      </section>
    );
  }
  const interval = formatInterval(first.uplift.low, first.uplift.high, language);
  return (
    <section className="card first-change" aria-labelledby="first-title">
      <h2 id="first-title">{t('dash.firstTitle')}</h2>
      <p className="sentence" data-testid="first-change">
        {t('dash.firstSentence', {
          goal: t(`goal.${first.goal}`, { defaultValue: first.goal }),
          uplift: formatChange(first.uplift.value, language),
        })}
        {interval && ` ${t('dash.range', { interval })}`}
      </p>
      {first.levers.length > 0 && (
        <>
          <h3>{t('dash.levers')}</h3>
          <ul>{first.levers.map((lever) => <li key={lever}>{lever}</li>)}</ul>
        </>
      )}
      <p className="hint">{t('dash.associational')}</p>
    </section>
  );
}

export function NpsCard({ nps }: { nps: Insights['nps'] }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  let body;
  if (nps.n === 0) {
    body = <Empty><p>{t('dash.npsNone')}</p></Empty>;
  } else if (!nps.sufficient || nps.value === null || nps.value === undefined) {
    body = <Empty><p data-testid="nps-too-few">{t('dash.npsTooFew', { count: nps.n })}</p></Empty>;
  } else {
    const interval = formatInterval(nps.low, nps.high, language, 0);
    body = (
      <>
        <p className="big" data-testid="nps-value">{formatNumber(nps.value, language, 0)}</p>
        {interval && <p>{t('dash.npsInterval', { interval })}</p>}
        <p>{t('dash.npsSplit', { promoters: nps.promoters, passives: nps.passives, detractors: nps.detractors })}</p>
      </>
    );
  }
  return (
    <section className="card" aria-labelledby="nps-title">
      <h2 id="nps-title">{t('dash.npsTitle')}</h2>
      {body}
    </section>
  );
}

export function Profile({ profile }: { profile: Insights['profile'] }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const items = profile.items.filter((item) => item.fulfilment.value !== null && item.fulfilment.value !== undefined);
  const bars = items.map((item) => {
    const value = item.fulfilment.value ?? 0;
    return {
      goal: item.goal,
      label: t(`goal.${item.goal}`, { defaultValue: item.goal }),
      value,
      error: [Math.max(0, value - (item.fulfilment.low ?? value)), Math.max(0, (item.fulfilment.high ?? value) - value)] as [number, number],
    };
  });
  return (
    <section className="card wide" aria-labelledby="profile-title">
      <h2 id="profile-title">{t('dash.profileTitle')}</h2>
      <p className="hint">{t('dash.profileIntro')}</p>
      {!profile.sufficient && <p data-testid="profile-too-few">{t('dash.profileTooFew', { count: profile.n })}</p>}
      {items.length === 0 ? (profile.n === 0 && <Empty><p>{t('dash.profileEmpty')}</p></Empty>) : (
        <>
          <Suspense fallback={<Loading label={t('dash.chartLoading')} />}>
            <GoalProfileChart bars={bars} title={t('dash.profileTitle')} />
          </Suspense>
          <table>
            <caption className="visually-hidden">{t('dash.profileTitle')}</caption>
            <thead><tr><th scope="col">{t('dash.goal')}</th><th scope="col">{t('dash.fulfilment')}</th><th scope="col">{t('dash.interval')}</th></tr></thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.goal}>
                  <th scope="row">{t(`goal.${item.goal}`, { defaultValue: item.goal })}</th>
                  <td>{formatNumber(item.fulfilment.value, language)}</td>
                  <td>{formatInterval(item.fulfilment.low, item.fulfilment.high, language) || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

const CHAIN = 'chain';

/** A store's dashboard for a period, written for the store manager. */
export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const { storeId = '' } = useParams();
  const { tenantSlug } = useSession();
  const [period, setPeriod] = useState<PeriodKey>('30d');
  const [params, setParams] = useSearchParams();
  const zoneId = params.get('zone') ?? '';
  const role = useTenantRole();
  const manager = role === 'STORE_MANAGER';
  const chain = params.get('scope') === 'chain' && role !== null && !manager;  // asked for only once the role is known
  const dates = useMemo(() => periodDates(period, new Date()), [period]);
  // The whole store, one of its zones (?zone=<id>) or the whole chain (?scope=chain; not for store managers, who
  // see only their stores): the figures below are the scope's.
  const scope = useMemo(() => (chain ? { kind: 'CHAIN' as const, ids: [] }
    : zoneId ? { kind: 'ZONE' as const, ids: [zoneId] } : { kind: 'STORE' as const, ids: [storeId] }),
  [chain, zoneId, storeId]);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: DashboardQuery,
    variables: { storeId, scope, from: dates.from, to: dates.to, language: i18n.language },
    requestPolicy: 'network-only',
  });
  const title = data?.store ? t('dash.title', { store: data.store.name }) : t('dash.titlePlain');
  return (
    <Layout title={title}>
      <p><Link to={`/portal/stores/${encodeURIComponent(storeId)}`}>{t('dash.backToStore')}</Link></p>
      <div className="periods" role="group" aria-label={t('dash.period')}>
        {PERIODS.map((key) => (
          <button key={key} type="button" aria-pressed={key === period} onClick={() => setPeriod(key)}>
            {t(`period.${key}`)}
          </button>
        ))}
      </div>
      {data?.store && (data.store.zones.length > 0 || !manager) && (
        <label className="scope-picker">
          <span>{t('dash.scope')}</span>
          <select value={chain ? CHAIN : zoneId} onChange={(event) => setParams(
            event.target.value === CHAIN ? { scope: 'chain' } : event.target.value ? { zone: event.target.value } : {})}>
            <option value="">{t('dash.wholeStore')}</option>
            {data.store.zones.map((zone) => <option key={zone.id} value={zone.id}>{zone.name}</option>)}
            {!manager && <option value={CHAIN}>{t('dash.wholeChain')}</option>}
          </select>
        </label>
      )}
      {fetching && !data && <Loading />}
      {error && <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
      {data && !data.store && <ErrorNotice message={t('store.notFound')} />}
      {data?.store && (
        <>
          <p className="summary" data-testid="response-total">{t('dash.responses', { count: data.insights.n })}</p>
          <div className="grid">
            <LiveCounter storeId={storeId} tenantSlug={tenantSlug} zones={data.store.zones} />
            <FirstChange insights={data.insights} />
            <NpsCard nps={data.insights.nps} />
            <OutcomeCard kind="csat" models={data.insights.models} />
            <OutcomeCard kind="ces" models={data.insights.models} />
            <ImportanceMap insights={data.insights} />
            <Trends weeks={data.insights.trends.weekly} />
            <Profile profile={data.insights.profile} />
            <StoreComparison storeId={storeId} from={dates.from} to={dates.to} />
            <StoreChangeLog storeId={storeId} zones={data.store.zones} effects={data.insights.storeChanges}
              onLogged={() => refetch({ requestPolicy: 'network-only' })} />
          </div>
        </>
      )}
    </Layout>
  );
}
