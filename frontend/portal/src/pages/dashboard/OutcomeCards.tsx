// CSAT and CES beside NPS: the scoring models' sections of the insights, with the same "not asked" and
// "too few responses" states as NPS.
import { useTranslation } from 'react-i18next';

import { Empty } from '../../components/States';
import { formatInterval, formatNumber } from '../../format';
import type { DashboardQuery as DashboardResult } from '../../gql/graphql';

type ModelSection = DashboardResult['insights']['models'][number];

/** The note the API gives a model whose question the survey does not ask. */
const NOT_ASKED = 'not asked';

function figure(figures: unknown, key: string): number | null {
  if (figures && typeof figures === 'object' && key in figures) {
    const value = (figures as Record<string, unknown>)[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  }
  return null;
}

/** One outcome card: `kind` is the section key ("csat" or "ces") among the insights' model sections. */
export function OutcomeCard({ kind, models }: { kind: 'csat' | 'ces'; models: readonly ModelSection[] }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const section = models.find((m) => m.key === kind);
  const n = section ? figure(section.figures, 'n') ?? 0 : 0;
  const value = section ? figure(section.figures, kind === 'csat' ? 'value' : 'mean') : null;
  let body;
  if (!section || section.note === NOT_ASKED) {
    body = <Empty><p data-testid={`${kind}-not-asked`}>{t(`dashboard.${kind}NotAsked`)}</p></Empty>;
  } else if (n === 0) {
    body = <Empty><p data-testid={`${kind}-none`}>{t('dashboard.outcomeNone')}</p></Empty>;
  } else if (!section.sufficient || value === null) {
    body = <Empty><p data-testid={`${kind}-too-few`}>{t('dash.npsTooFew', { count: n })}</p></Empty>;
  } else {
    const digits = kind === 'csat' ? 0 : 1;
    const interval = formatInterval(figure(section.figures, 'low'), figure(section.figures, 'high'), language, digits);
    body = (
      <>
        <p className="big" data-testid={`${kind}-value`}>
          {formatNumber(value, language, digits)}{kind === 'csat' ? ' %' : ''}
        </p>
        {interval && <p>{t('dash.npsInterval', { interval })}</p>}
        <p>{kind === 'csat' ? t('dashboard.csatExplain', { count: n })
          : t('dashboard.cesExplain', { count: n, easy: formatNumber(figure(section.figures, 'pct_easy'), language, 0) })}</p>
      </>
    );
  }
  return (
    <section className="card" aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{t(`dashboard.${kind}Title`)}</h2>
      {body}
    </section>
  );
}
