// The store's logged changes (new signage, a second till, ...) with what the shoppers' score did before and after
// each, beside the other stores, and a form to log a new one.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';

import { useTenantRole } from '../../components/AdminOnly';
import { errorOn, Field } from '../../components/Field';
import { Empty, ErrorNotice, firstError, Loading } from '../../components/States';
import { formatChange, formatDay, formatInterval, isoDay } from '../../format';
import { LogStoreChangeMutation, StoreChangesQuery } from '../../graphql/dashboard';
import type { DashboardQuery as DashboardResult } from '../../gql/graphql';

type Effect = DashboardResult['insights']['storeChanges'][number];
type Zone = { id: string; name: string };

/** What a change did, in a sentence; `effect` is undefined when the change is outside the chosen period. */
export function ChangeEffect({ effect }: { effect: Effect | undefined }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  if (!effect) {
    return <p className="hint" data-testid="change-outside">{t('dashboard.changeOutside')}</p>;
  }
  const o = effect.outcome;
  if (!o.sufficient || o.effect === null || o.effect === undefined) {
    return <p className="hint" data-testid="change-too-few">{t('dashboard.changeTooFew', { days: effect.windowDays })}</p>;
  }
  const interval = formatInterval(o.low, o.high, language);
  const clear = o.low !== null && o.low !== undefined && o.high !== null && o.high !== undefined
    && (o.low > 0 || o.high < 0);
  return (
    <p data-testid="change-effect">
      {t('dashboard.changeBeforeAfter', {
        days: effect.windowDays,
        own: formatChange(o.treatedChange ?? 0, language),
        others: formatChange(o.controlChange ?? 0, language),
      })}
      {' '}
      {t('dashboard.changeDifference', { effect: formatChange(o.effect, language) })}
      {interval && ` ${t('dash.range', { interval })}`}
      {' '}
      {clear ? t('dashboard.changeClear') : t('dashboard.changeUnclear')}
    </p>
  );
}

function LogChangeForm({ storeId, zones, onLogged }: { storeId: string; zones: readonly Zone[]; onLogged: () => void }) {
  const { t } = useTranslation();
  const [date, setDate] = useState(() => isoDay(new Date()));
  const [description, setDescription] = useState('');
  const [zoneId, setZoneId] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [errors, setErrors] = useState<readonly { field?: string | null; message: string }[]>([]);
  const [done, setDone] = useState(false);
  const [{ fetching }, logChange] = useMutation(LogStoreChangeMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    const result = await logChange({ input: { storeId, date, description, zoneId: zoneId || null } });
    const typed = result.data?.logStoreChange.errors ?? [];
    const message = result.error ? t('state.error') : firstError(typed);
    setErrors(typed);
    setProblem(typed.some((e) => e.field === 'description' || e.field === 'date') ? null : message);
    if (!message) {
      setDescription('');
      setDone(true);
      onLogged();
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="log-change-title">
      <h3 id="log-change-title">{t('dashboard.logTitle')}</h3>
      <p className="hint">{t('dashboard.logIntro')}</p>
      <Field label={t('dashboard.logDescription')} value={description} required maxLength={500}
        hint={t('dashboard.logDescriptionHint')} error={errorOn(errors, 'description')}
        onChange={(e) => setDescription(e.target.value)} />
      <Field label={t('dashboard.logDate')} type="date" value={date} required error={errorOn(errors, 'date')}
        onChange={(e) => setDate(e.target.value)} />
      {zones.length > 0 && (
        <div className="field">
          <label htmlFor="change-zone">{t('dashboard.logZone')}</label>
          <select id="change-zone" value={zoneId} onChange={(e) => setZoneId(e.target.value)}>
            <option value="">{t('dashboard.logWholeStore')}</option>
            {zones.map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
          </select>
        </div>
      )}
      {problem && <p className="state state-error" role="alert">{problem}</p>}
      {done && <p role="status" data-testid="change-logged">{t('dashboard.logDone')}</p>}
      <button type="submit" disabled={fetching}>{t('dashboard.logSubmit')}</button>
    </form>
  );
}

export function StoreChangeLog({ storeId, zones, effects, onLogged }: {
  storeId: string; zones: readonly Zone[]; effects: readonly Effect[]; onLogged: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const role = useTenantRole();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: StoreChangesQuery, variables: { storeId }, requestPolicy: 'network-only',
  });
  const byId = new Map(effects.map((e) => [e.changeId, e]));
  let list;
  if (fetching && !data) {
    list = <Loading />;
  } else if (error && !data) {
    list = <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  } else if (!data || data.storeChanges.length === 0) {
    list = <Empty><p data-testid="changes-empty">{t('dashboard.changesEmpty')}</p></Empty>;
  } else {
    list = (
      <ul className="change-log" data-testid="change-log">
        {data.storeChanges.map((change) => (
          <li key={change.id}>
            <p>
              <strong>{formatDay(change.date, language)}</strong>{': '}{change.description}
              {change.zone && ` (${change.zone.name})`}
            </p>
            <ChangeEffect effect={byId.get(change.id)} />
          </li>
        ))}
      </ul>
    );
  }
  return (
    <section className="card wide" aria-labelledby="changes-title">
      <h2 id="changes-title">{t('dashboard.changesTitle')}</h2>
      <p className="hint">{t('dashboard.changesIntro')}</p>
      {list}
      {role === 'ANALYST' ? <p className="hint" data-testid="log-analyst">{t('dashboard.logAnalyst')}</p> : (
        <LogChangeForm storeId={storeId} zones={zones} onLogged={() => {
          refetch({ requestPolicy: 'network-only' });
          onLogged();
        }} />
      )}
    </section>
  );
}
