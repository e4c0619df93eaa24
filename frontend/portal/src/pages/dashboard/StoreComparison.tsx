// The chain's stores side by side for the chosen period: responses, NPS and the goal each store lags the chain on
// most. Shown only when the person sees more than one store.
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';

import { ErrorNotice, Loading } from '../../components/States';
import { formatChange, formatInterval, formatNumber } from '../../format';
import { StoreComparisonQuery } from '../../graphql/dashboard';
import type { StoreComparisonQuery as ComparisonResult } from '../../gql/graphql';

type Chain = ComparisonResult['insights'];

/** A gap that rounds to 0.0 on the 1-5 scale is no gap a manager can act on. */
const SMALLEST_GAP = 0.05;

/** The goal a store is furthest below the chain's level on, with the gap (null when it is below on none). */
export function largestGap(store: Chain['stores'][number], chain: Chain): { goal: string; gap: number } | null {
  const level = new Map(chain.profile.items.map((item) => [item.goal, item.fulfilment.value]));
  let worst: { goal: string; gap: number } | null = null;
  for (const goal of store.goals) {
    const mean = level.get(goal.goal);
    if (goal.value === null || goal.value === undefined || mean === null || mean === undefined || goal.n === 0) {
      continue;
    }
    const gap = goal.value - mean;
    if (gap <= -SMALLEST_GAP && (worst === null || gap < worst.gap)) {
      worst = { goal: goal.goal, gap };
    }
  }
  return worst;
}

export function StoreComparison({ storeId, from, to }: { storeId: string; from: string; to: string }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const [{ data, fetching, error }, refetch] = useQuery({
    query: StoreComparisonQuery, variables: { from, to, language }, requestPolicy: 'network-only',
  });
  const heading = <h2 id="compare-title">{t('dashboard.compareTitle')}</h2>;
  if (fetching && !data) {
    return <section className="card wide" aria-labelledby="compare-title">{heading}<Loading /></section>;
  }
  if (error && !data) {
    return (
      <section className="card wide" aria-labelledby="compare-title">
        {heading}<ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />
      </section>
    );
  }
  const chain = data?.insights;
  if (!chain || chain.stores.length < 2) {
    return null;
  }
  return (
    <section className="card wide" aria-labelledby="compare-title" data-testid="store-comparison">
      {heading}
      <p className="hint">{t('dashboard.compareIntro')}</p>
      <table>
        <caption className="visually-hidden">{t('dashboard.compareTitle')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('dashboard.store')}</th>
            <th scope="col">{t('dashboard.trendResponses')}</th>
            <th scope="col">{t('dash.npsTitle')}</th>
            <th scope="col">{t('dashboard.compareGap')}</th>
          </tr>
        </thead>
        <tbody>
          {chain.stores.map((store) => {
            const gap = largestGap(store, chain);
            const own = store.key === storeId;
            const interval = formatInterval(store.nps.low, store.nps.high, language, 0);
            return (
              <tr key={store.key} className={own ? 'own-store' : undefined} aria-current={own ? 'true' : undefined}>
                <th scope="row">{own ? t('dashboard.thisStore', { store: store.name }) : store.name}</th>
                <td>{store.n}</td>
                <td>
                  {store.nps.sufficient && store.nps.value !== null && store.nps.value !== undefined
                    ? `${formatNumber(store.nps.value, language, 0)}${interval ? ` ${t('dash.range', { interval })}` : ''}`
                    : t('dashboard.tooFewShort')}
                </td>
                <td>
                  {gap ? t('dashboard.gap', { goal: t(`goal.${gap.goal}`, { defaultValue: gap.goal }),
                    gap: formatChange(gap.gap, language) }) : t('dashboard.noGap')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
