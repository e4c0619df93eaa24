// The survey editor (/portal/survey): the statements the survey asks, chosen from the bank grouped by goal, or by
// goal; a statement of your own in the four languages; the real page in a phone frame. The onboarding reuses
// `SurveyChoice`.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { AdminOnly } from '../components/AdminOnly';
import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { SurveyPreview } from '../components/SurveyPreview';
import {
  AddSurveyStatementMutation, ChooseSurveyGoalsMutation, ChooseSurveyStatementsMutation, SurveyEditorQuery,
} from '../graphql/survey';
import { LANGUAGES } from '../i18n';
import { useSession } from '../session';
import { slugFrom } from './Signup';

/** The scored goals, in the order the bank lists them (core/goals/statements.toml). */
export const GOALS = ['security', 'ease', 'autonomy', 'recognition', 'enjoyment', 'discovery', 'value'] as const;
/** Taps a survey may ask, warm-ups and scoring models' questions included (core/surveys/survey.py MAX_TAPS). */
export const MAX_TAPS = 9;

type Errors = readonly { code: string; message: string; field?: string | null }[];
type BankStatement = { id: string; goal: string; polarity: number; warmup: boolean; builtin: boolean;
  texts: readonly { language: string; text: string }[] };

/** A statement's text in `language`, else English, else its first. */
export function statementText(statement: Pick<BankStatement, 'texts'>, language: string): string {
  const texts = statement.texts;
  return (texts.find((t) => t.language === language) ?? texts.find((t) => t.language === 'en') ?? texts[0])?.text ?? '';
}

/** The scored statements of the bank grouped by goal, in the goals' order (a goal unknown here comes last). */
export function byGoal<T extends { goal: string; warmup: boolean }>(bank: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const goal of GOALS) {
    groups.set(goal, []);
  }
  for (const statement of bank) {
    if (statement.warmup) {
      continue;
    }
    groups.set(statement.goal, [...(groups.get(statement.goal) ?? []), statement]);
  }
  return [...groups.entries()].filter(([, statements]) => statements.length > 0);
}

/** The chosen ids after ticking (`on`) or unticking `id`: the order so far is kept, a new one comes last. */
export function toggled(chosen: readonly string[], id: string, on: boolean): string[] {
  const without = chosen.filter((c) => c !== id);
  return on ? [...without, id] : without;
}

function StatementPicker({ bank, chosen, budget, onSaved, language }: {
  bank: readonly BankStatement[]; chosen: readonly string[]; budget: number; onSaved: () => void; language: string;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<string[]>([...chosen]);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [saved, setSaved] = useState(false);
  const [state, choose] = useMutation(ChooseSurveyStatementsMutation);
  const key = chosen.join(',');
  useEffect(() => setDraft(key ? key.split(',') : []), [key]);
  const changed = draft.join(',') !== key;
  const over = draft.length > budget;
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    setSaved(false);
    const result = await choose({ statementIds: draft });
    const payload = result.data?.chooseSurveyStatements;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.version) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="statements-title">
      <h2 id="statements-title">{t('survey.statementsTitle')}</h2>
      <p className="hint">{t('survey.statementsIntro', { count: budget })}</p>
      {failed && <ErrorNotice />}
      {errors.length > 0 && <ErrorNotice message={errors[0].message} />}
      {byGoal(bank).map(([goal, statements]) => (
        <fieldset key={goal} className="goal-group">
          <legend>{t(`goal.${goal}`, { defaultValue: goal })}</legend>
          {statements.map((statement) => (
            <label key={statement.id} className="check">
              <input type="checkbox" checked={draft.includes(statement.id)} value={statement.id}
                onChange={(event) => { setSaved(false); setDraft(toggled(draft, statement.id, event.target.checked)); }} />
              <span>{statementText(statement, language)}{!statement.builtin && <em> {t('survey.own')}</em>}</span>
            </label>
          ))}
        </fieldset>
      ))}
      <p aria-live="polite" className={over ? 'field-error' : 'hint'} data-testid="chosen-count">
        {over ? t('survey.tooMany', { count: budget }) : t('survey.chosenCount', { count: draft.length, max: budget })}
      </p>
      {saved && !changed && <p role="status">{t('survey.saved')}</p>}
      <button type="submit" disabled={state.fetching || !changed || over || draft.length === 0}>{t('survey.save')}</button>
    </form>
  );
}

function GoalPicker({ current, onSaved }: { current: readonly string[]; onSaved: () => void }) {
  const { t } = useTranslation();
  const [goals, setGoals] = useState<string[]>([]);
  const [perGoal, setPerGoal] = useState(1);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, choose] = useMutation(ChooseSurveyGoalsMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await choose({ goals, perGoal });
    const payload = result.data?.chooseSurveyGoals;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.version) {
      setGoals([]);
      onSaved();
    }
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="goals-title">
      <h2 id="goals-title">{t('survey.goalsTitle')}</h2>
      <p className="hint">{t('survey.goalsIntro')}</p>
      {failed && <ErrorNotice />}
      {errors.length > 0 && <ErrorNotice message={errors[0].message} />}
      <fieldset className="goal-group">
        <legend>{t('survey.goalsLegend')}</legend>
        {GOALS.map((goal) => (
          <label key={goal} className="check">
            <input type="checkbox" checked={goals.includes(goal)}
              onChange={(event) => setGoals(toggled(goals, goal, event.target.checked))} />
            <span>{t(`goal.${goal}`)}{current.includes(goal) && <em> {t('survey.askedNow')}</em>}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>{t('survey.perGoal')}</span>
        <select value={perGoal} onChange={(event) => setPerGoal(Number(event.target.value))}>
          {[1, 2, 3].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <button type="submit" disabled={state.fetching || goals.length === 0}>{t('survey.askGoals')}</button>
    </form>
  );
}

function OwnStatement({ firstLanguage, onAdded }: { firstLanguage: string; onAdded: () => void }) {
  const { t } = useTranslation();
  const [goal, setGoal] = useState<string>(GOALS[0]);
  const [texts, setTexts] = useState<Record<string, string>>({ da: '', nb: '', sv: '', en: '' });
  const [reversed, setReversed] = useState(false);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const [state, add] = useMutation(AddSurveyStatementMutation);
  // The tenant's own language first: the one the statement is usually written in before it is translated.
  const languages = [firstLanguage, ...LANGUAGES.filter((l) => l !== firstLanguage)].filter((l) => l in texts);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    setAdded(null);
    const slug = slugFrom(texts.en || texts[firstLanguage] || '').slice(0, 40).replace(/-+$/, '');
    const result = await add({ input: { goal, slug, da: texts.da, nb: texts.nb, sv: texts.sv, en: texts.en,
      polarity: reversed ? -1 : 1 } });
    const payload = result.data?.addSurveyStatement;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.statement) {
      setAdded(statementText(payload.statement, firstLanguage));
      setTexts({ da: '', nb: '', sv: '', en: '' });
      setReversed(false);
      onAdded();
    }
  };
  const general = errors.find((e) => !['da', 'nb', 'sv', 'en'].includes(e.field ?? ''));
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="own-title">
      <h2 id="own-title">{t('survey.ownTitle')}</h2>
      <p className="hint">{t('survey.ownIntro')}</p>
      {failed && <ErrorNotice />}
      {general && <ErrorNotice message={general.message} />}
      {added && <p role="status">{t('survey.ownAdded', { text: added })}</p>}
      <label className="field">
        <span>{t('survey.ownGoal')}</span>
        <select value={goal} onChange={(event) => setGoal(event.target.value)}>
          {GOALS.map((g) => <option key={g} value={g}>{t(`goal.${g}`)}</option>)}
        </select>
      </label>
      {languages.map((language) => (
        <Field key={language} name={`text-${language}`} lang={language} required maxLength={200}
          label={t(`survey.textIn.${language}`)} value={texts[language]} error={errorOn(errors, language)}
          onChange={(event) => setTexts({ ...texts, [language]: event.target.value })} />
      ))}
      <label className="check">
        <input type="checkbox" checked={reversed} onChange={(event) => setReversed(event.target.checked)} />
        <span>{t('survey.reversed')}</span>
      </label>
      <button type="submit" disabled={state.fetching}>{t('survey.ownSubmit')}</button>
    </form>
  );
}

/** The survey's statements (by statement or by goal), a statement of your own and the phone-frame preview of the
 * store `storeId` (else the first store). */
export function SurveyChoice({ storeId }: { storeId?: string }) {
  const { t, i18n } = useTranslation();
  const { me, tenantSlug } = useSession();
  const [{ data, fetching, error }, refetch] = useQuery({ query: SurveyEditorQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const stores = useMemo(() => data?.stores.edges.map((edge) => edge.node) ?? [], [data]);
  const [pickedStore, setPickedStore] = useState<string | undefined>(storeId);
  const store = stores.find((s) => s.id === (storeId ?? pickedStore)) ?? stores[0];
  const [chosenLanguage, setLanguage] = useState<string | null>(null);
  const language = chosenLanguage ?? store?.defaultLanguage ?? i18n.language;
  const tenantLanguage = me?.memberships.find((m) => m.tenant.slug === tenantSlug)?.tenant.defaultLanguage ?? 'en';
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={reload} />;
  }
  if (!data) {
    return null;
  }
  const version = data.survey.activeVersion;
  const chosen = version.statements.map((s) => s.id);
  const budget = MAX_TAPS - version.warmups.length - version.questions.length;
  return (
    <div className="survey-editor">
      <div className="survey-forms">
        <p data-testid="survey-version">{t('survey.version', { number: version.number, count: chosen.length })}</p>
        <StatementPicker bank={data.statementBank} chosen={chosen} budget={budget} onSaved={reload}
          language={i18n.language} />
        <GoalPicker current={[...new Set(version.statements.map((s) => s.goal))]} onSaved={reload} />
        <OwnStatement firstLanguage={tenantLanguage} onAdded={reload} />
      </div>
      <div className="survey-side">
        {!storeId && stores.length > 1 && (
          <label className="field">
            <span>{t('survey.previewStore')}</span>
            <select value={store?.id} onChange={(event) => setPickedStore(event.target.value)}>
              {stores.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </label>
        )}
        {store ? (
          <SurveyPreview tenantSlug={tenantSlug} storeSlug={store.slug} language={language}
            onLanguage={setLanguage} version={version.id} />
        ) : (
          <Empty>
            <p>{t('survey.noStore')}</p>
            <Link to="/portal/welcome">{t('survey.startWelcome')}</Link>
          </Empty>
        )}
      </div>
    </div>
  );
}

export function SurveyEditorPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('survey.title')}>
      <AdminOnly message={t('survey.adminOnly')}>
        <SurveyChoice />
      </AdminOnly>
    </Layout>
  );
}
