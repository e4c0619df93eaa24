// The importance x performance map for a store manager: which goals matter most to the shoppers' recommendation,
// how well the store meets them, and what that means to do (fix first, keep it up, ...).
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';

import { Empty, Loading } from '../../components/States';
import type { MapDot } from '../../components/ImportanceMapChart';
import { formatInterval, formatNumber } from '../../format';
import type { DashboardQuery as DashboardResult } from '../../gql/graphql';

const ImportanceMapChart = lazy(() => import('../../components/ImportanceMapChart'));

type Insights = DashboardResult['insights'];
export type MapInsights = Pick<Insights, 'map' | 'drivers' | 'profile'>;

/** The API's quadrants in the order a manager acts on them. */
export const QUADRANTS = ['priority', 'secondary', 'strength', 'possible_overkill'] as const;

type Row = MapDot & { quadrant: string; importanceLow: number | null; importanceHigh: number | null;
  performanceLow: number | null; performanceHigh: number | null; unclear: boolean };

/** The map's goals with their intervals: importance as a share of the explained score (the drivers' parts) and
 * performance on 1-5 (its interval is that of the store's own answers, from the goal profile). */
export function mapRows(insights: MapInsights, label: (goal: string) => string): Row[] {
  const drivers = new Map(insights.drivers.drivers.map((d) => [d.goal, d]));
  const fulfilment = new Map(insights.profile.items.map((item) => [item.goal, item.fulfilment]));
  const total = insights.map.reduce((sum, point) => sum + Math.max(0, point.importance), 0);
  return insights.map.map((point) => {
    const share = total > 0 ? (100 * point.importance) / total : 0;
    const scale = point.importance > 0 ? share / point.importance : 0;
    const driver = drivers.get(point.goal);
    const importanceLow = driver?.low === null || driver?.low === undefined ? null : driver.low * scale;
    const importanceHigh = driver?.high === null || driver?.high === undefined ? null : driver.high * scale;
    const own = fulfilment.get(point.goal);
    const performanceLow = own?.low ?? null;
    const performanceHigh = own?.high ?? null;
    return {
      goal: point.goal, label: label(point.goal), quadrant: point.quadrant,
      importance: share, performance: point.performance,
      importanceLow, importanceHigh, performanceLow, performanceHigh,
      importanceError: [Math.max(0, share - (importanceLow ?? share)), Math.max(0, (importanceHigh ?? share) - share)],
      performanceError: [Math.max(0, point.performance - (performanceLow ?? point.performance)),
        Math.max(0, (performanceHigh ?? point.performance) - point.performance)],
      unclear: driver?.indistinguishableFromNone ?? false,
    };
  });
}

export function ImportanceMap({ insights }: { insights: MapInsights }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const label = (goal: string) => t(`goal.${goal}`, { defaultValue: goal });
  const rows = mapRows(insights, label).sort((a, b) => QUADRANTS.indexOf(a.quadrant as never)
    - QUADRANTS.indexOf(b.quadrant as never) || b.importance - a.importance);
  const heading = <h2 id="map-title">{t('dashboard.mapTitle')}</h2>;
  if (rows.length === 0) {
    return (
      <section className="card wide" aria-labelledby="map-title">
        {heading}
        <Empty><p data-testid="map-too-few">{insights.profile.n === 0 ? t('dashboard.mapNone')
          : t('dashboard.mapTooFew', { count: insights.drivers.n })}</p></Empty>
      </section>
    );
  }
  const importanceLine = rows.reduce((sum, r) => sum + r.importance, 0) / rows.length;
  const performanceLine = rows.reduce((sum, r) => sum + r.performance, 0) / rows.length;
  const fixFirst = rows.filter((r) => r.quadrant === 'priority').map((r) => r.label);
  return (
    <section className="card wide" aria-labelledby="map-title">
      {heading}
      <p className="hint">{t('dashboard.mapIntro')}</p>
      <p className="sentence" data-testid="map-fix-first">
        {fixFirst.length > 0 ? t('dashboard.mapFixFirst', { count: fixFirst.length, goals: new Intl.ListFormat(language, { type: 'conjunction' })
          .format(fixFirst) }) : t('dashboard.mapNothingToFix')}
      </p>
      {insights.drivers.basis === 'chain' && <p className="hint" data-testid="map-chain">{t('dashboard.mapChainBasis')}</p>}
      <Suspense fallback={<Loading label={t('dash.chartLoading')} />}>
        <ImportanceMapChart dots={rows} title={t('dashboard.mapTitle')} importanceLine={importanceLine}
          performanceLine={performanceLine}
          axisLabels={{ importance: t('dashboard.mapImportance'), performance: t('dashboard.mapPerformance') }} />
      </Suspense>
      <ul className="quadrant-key">
        {QUADRANTS.map((q) => <li key={q}><strong>{t(`dashboard.quadrant_${q}`)}</strong>: {t(`dashboard.quadrantHint_${q}`)}</li>)}
      </ul>
      <table data-testid="map-table">
        <caption>{t('dashboard.mapTable')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('dash.goal')}</th>
            <th scope="col">{t('dashboard.mapWhatToDo')}</th>
            <th scope="col">{t('dashboard.mapImportance')}</th>
            <th scope="col">{t('dashboard.mapPerformance')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const importanceRange = formatInterval(r.importanceLow, r.importanceHigh, language, 0);
            const performanceRange = formatInterval(r.performanceLow, r.performanceHigh, language);
            return (
              <tr key={r.goal}>
                <th scope="row">{r.label}</th>
                <td>{t(`dashboard.quadrant_${r.quadrant}`, { defaultValue: r.quadrant })}</td>
                <td>
                  {formatNumber(r.importance, language, 0)} %
                  {importanceRange && ` ${t('dash.range', { interval: importanceRange })}`}
                  {r.unclear && ` ${t('dashboard.mapUnclear')}`}
                </td>
                <td>
                  {formatNumber(r.performance, language)}
                  {performanceRange && ` ${t('dash.range', { interval: performanceRange })}`}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
