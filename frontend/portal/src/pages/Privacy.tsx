import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';

import { AdminOnly, useTenantRole } from '../components/AdminOnly';
import { errorOn, Field } from '../components/Field';
import { ExportJob, type ExportStart } from '../components/ExportJob';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { locale } from '../format';
import type { RetentionMode } from '../gql/graphql';
import { chooseTenant } from '../graphql/client';
import { LogoutMutation } from '../graphql/operations';
import {
  DeleteTenantMutation, EraseShopperResponseMutation, RetentionQuery, SetRetentionMutation, ShopperDataQuery,
  StartTenantExportMutation, TenantExportQuery,
} from '../graphql/privacy';
import { useSession } from '../session';

type Errors = readonly { code: string; message: string; field?: string | null }[];

const MODES: RetentionMode[] = ['ANONYMISE', 'DELETE'];

/** Where the page sends the browser once the business is gone (a full load: the session is over). */
export const away = { to: (path: string) => window.location.assign(path) };

/** The number of months typed, when it is a whole number from 1 to 120; else null. */
export function validMonths(typed: string): number | null {
  const value = Number(typed.trim());
  return typed.trim() !== '' && Number.isInteger(value) && value >= 1 && value <= 120 ? value : null;
}

/** The path (and query) of a download URL: the portal and the API share one origin. */
function useDateTime() {
  const { i18n } = useTranslation();
  return new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
}

function Retention() {
  const { t } = useTranslation();
  const when = useDateTime();
  const [{ data, fetching, error }, refetch] = useQuery({ query: RetentionQuery });
  const [state, save] = useMutation(SetRetentionMutation);
  const [limited, setLimited] = useState(false);
  const [months, setMonths] = useState('12');
  const [mode, setMode] = useState<RetentionMode>('ANONYMISE');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [saved, setSaved] = useState(false);
  const loaded = useRef(false);
  const retention = data?.retention;
  useEffect(() => {
    if (retention && !loaded.current) {
      loaded.current = true;
      setLimited(retention.months !== null && retention.months !== undefined);
      if (retention.months) {
        setMonths(String(retention.months));
      }
      setMode(retention.mode);
    }
  }, [retention]);
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    setFailed(false);
    const chosen = limited ? validMonths(months) : null;
    if (limited && chosen === null) {
      setErrors([{ code: 'invalid', message: t('privacy.monthsInvalid'), field: 'months' }]);
      return;
    }
    const result = await save({ months: chosen, mode });
    const payload = result.data?.setRetention;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    setSaved(payload.errors.length === 0);
  };
  const general = errors.find((e) => e.field !== 'months' && e.field !== 'mode');
  return (
    <form onSubmit={onSubmit} noValidate>
      {retention && (
        <div data-testid="retention-now">
          <p>{retention.cutoff ? t('privacy.cutoff', { date: when.format(new Date(retention.cutoff)) })
            : t('privacy.noCutoff')}</p>
          {retention.cutoff && <p>{t('privacy.due', { count: retention.due })}</p>}
        </div>
      )}
      {failed && <ErrorNotice />}
      {general && <ErrorNotice message={general.message} />}
      <fieldset className="choices">
        <legend>{t('privacy.keep')}</legend>
        <label className="choice">
          <input type="radio" name="keep" checked={!limited} onChange={() => setLimited(false)} />
          {t('privacy.keepForever')}
        </label>
        <label className="choice">
          <input type="radio" name="keep" checked={limited} onChange={() => setLimited(true)} />
          {t('privacy.keepMonths')}
        </label>
      </fieldset>
      {limited && (
        <Field label={t('privacy.months')} name="months" type="number" className="months-input" inputMode="numeric"
          min={1} max={120} step={1} hint={t('privacy.monthsHint')} value={months} error={errorOn(errors, 'months')}
          onChange={(e) => setMonths(e.target.value)} />
      )}
      <fieldset className="choices">
        <legend>{t('privacy.mode')}</legend>
        {MODES.map((m) => (
          <label key={m} className="choice">
            <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            <span>
              <strong>{t(`privacy.mode_${m}`)}</strong> <span className="hint">{t(`privacy.modeHint_${m}`)}</span>
            </span>
          </label>
        ))}
        {errorOn(errors, 'mode') && <p className="field-error">{errorOn(errors, 'mode')}</p>}
      </fieldset>
      <button type="submit" disabled={state.fetching}>{t('privacy.save')}</button>
      <p role="status" className="hint">{saved ? t('privacy.saved') : ''}</p>
    </form>
  );
}

type Stored = NonNullable<NonNullable<ReturnType<typeof useShopperData>[0]['data']>['shopperData']>;

function useShopperData(code: string) {
  return useQuery({ query: ShopperDataQuery, variables: { receiptCode: code }, pause: !code,
    requestPolicy: 'network-only' });
}

/** What is stored for one receipt code, and its erasure after a confirmation (focus follows the question). */
function StoredResponse({ stored, onErased }: { stored: Stored; onErased: (code: string) => void }) {
  const { t } = useTranslation();
  const when = useDateTime();
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [state, erase] = useMutation(EraseShopperResponseMutation);
  const asked = useRef(false);
  const eraseButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) {
      asked.current = true;
      cancelButton.current?.focus();
    } else if (asked.current) {
      eraseButton.current?.focus();
    }
  }, [confirming]);
  const onErase = async () => {
    setMessage(null);
    const result = await erase({ receiptCode: stored.receiptCode });
    const payload = result.data?.eraseShopperResponse;
    if (result.error || !payload) {
      setMessage(t('state.error'));
    } else if (payload.errors.length > 0) {
      setMessage(payload.errors[0].message);
    } else {
      onErased(payload.erasedReceiptCode ?? stored.receiptCode);
      return;
    }
    setConfirming(false);
  };
  const question = t('privacy.confirmErase', { code: stored.receiptCode });
  return (
    <section className="card" aria-labelledby="stored-title" data-testid="shopper-data">
      <h3 id="stored-title">{t('privacy.found', { code: stored.receiptCode })}</h3>
      {message && <ErrorNotice message={message} />}
      <dl className="facts">
        <dt>{t('privacy.store')}</dt><dd>{stored.store ?? '—'}</dd>
        {stored.zone && <><dt>{t('privacy.zone')}</dt><dd>{stored.zone}</dd></>}
        <dt>{t('privacy.submittedAt')}</dt><dd>{when.format(new Date(stored.submittedAt))}</dd>
        <dt>{t('privacy.outcome')}</dt>
        <dd>{stored.outcome === null || stored.outcome === undefined ? '—'
          : t('privacy.outcomeValue', { value: stored.outcome })}</dd>
        <dt>{t('privacy.comment')}</dt><dd>{stored.comment || t('privacy.noComment')}</dd>
        <dt>{t('privacy.contactEmail')}</dt><dd>{stored.contactEmail ?? t('privacy.noContact')}</dd>
        <dt>{t('privacy.answers')}</dt><dd>{t('privacy.answerCount', { count: stored.answers.length })}</dd>
      </dl>
      {!confirming && (
        <button type="button" className="secondary" ref={eraseButton} onClick={() => setConfirming(true)}>
          {t('privacy.erase')}
        </button>
      )}
      {confirming && (
        <div role="group" aria-label={question} className="actions confirm">
          <span aria-hidden="true">{question}</span>
          <button type="button" disabled={state.fetching} onClick={onErase}>{t('privacy.yesErase')}</button>
          <button type="button" className="secondary" ref={cancelButton} onClick={() => setConfirming(false)}>
            {t('privacy.cancel')}
          </button>
        </div>
      )}
    </section>
  );
}

function ShopperRequest() {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [code, setCode] = useState('');
  const [erased, setErased] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useShopperData(code);
  const erasedNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    // The response's panel (and its focused button) is gone: keyboard users land on what happened.
    if (erased) {
      erasedNotice.current?.focus();
    }
  }, [erased]);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setErased(null);
    const wanted = typed.trim();
    if (wanted === code) {
      refetch({ requestPolicy: 'network-only' });
    }
    setCode(wanted);
  };
  const found = code && data && !fetching ? data.shopperData : undefined;
  return (
    <>
      <p>{t('privacy.shopperIntro')}</p>
      <form className="inline-form" onSubmit={onSubmit}>
        <Field label={t('privacy.receiptCode')} name="receiptCode" required hint={t('privacy.receiptHint')}
          autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
        <button type="submit">{t('privacy.lookUp')}</button>
      </form>
      <div aria-live="polite">
        {erased && <p role="status" tabIndex={-1} ref={erasedNotice}>{t('privacy.erased', { code: erased })}</p>}
        {code && fetching && <Loading />}
        {code && error && !fetching && <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {found === null && !error && (
          <Empty><p data-testid="unknown-code">{t('privacy.unknownCode', { code })}</p></Empty>
        )}
      </div>
      {found && (
        <StoredResponse key={found.receiptCode} stored={found}
          onErased={(c) => { setErased(c); setCode(''); setTyped(''); }} />
      )}
    </>
  );
}

function TenantExport() {
  const { t } = useTranslation();
  const [started, start] = useMutation(StartTenantExportMutation);
  const begin = async (): Promise<ExportStart> => {
    const result = await start({});
    const payload = result.data?.startTenantExport;
    return { failed: Boolean(result.error) || !payload, export: payload?.export, errors: payload?.errors };
  };
  return (
    <>
      <p>{t('privacy.exportIntro')}</p>
      <ExportJob start={begin} starting={started.fetching} progressQuery={TenantExportQuery} texts={{
        start: t('privacy.startExport'), progress: t('privacy.exportProgress'), queued: t('privacy.exportQueued'),
        failed: t('privacy.exportFailed'), ready: t('privacy.exportReady'), download: t('privacy.download'),
        rows: (done, total) => t('privacy.exportRows', { done, total }),
      }} />
    </>
  );
}

function DeleteTenant() {
  const { t } = useTranslation();
  const { tenantSlug } = useSession();
  const owner = useTenantRole() === 'OWNER';
  const [typed, setTyped] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [state, remove] = useMutation(DeleteTenantMutation);
  const [, logout] = useMutation(LogoutMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (typed !== tenantSlug) {
      setErrors([{ code: 'invalid', message: t('privacy.slugMismatch'), field: 'confirmSlug' }]);
      return;
    }
    const result = await remove({ confirmSlug: typed });
    const payload = result.data?.deleteTenant;
    if (result.error || !payload) {
      setErrors([{ code: 'error', message: t('state.error') }]);
      return;
    }
    setErrors(payload.errors);
    if (payload.errors.length === 0) {
      await logout({}); // the session may already be gone with the account: either way, log out
      chooseTenant('');
      away.to('/login?deleted=1');
    }
  };
  const general = errors.find((e) => e.field !== 'confirmSlug');
  return (
    <form onSubmit={onSubmit} noValidate>
      <p>{t('privacy.deleteIntro')}</p>
      {!owner && <p className="warning" data-testid="owner-only">{t('privacy.ownerOnly')}</p>}
      {general && <ErrorNotice message={general.message} />}
      <Field label={t('privacy.confirmSlug', { slug: tenantSlug })} name="confirmSlug" autoComplete="off"
        spellCheck={false} disabled={!owner} value={typed} error={errorOn(errors, 'confirmSlug')}
        onChange={(e) => setTyped(e.target.value)} />
      <button type="submit" className="danger" disabled={!owner || typed !== tenantSlug || state.fetching}>
        {t('privacy.delete')}
      </button>
    </form>
  );
}

function Privacy() {
  const { t } = useTranslation();
  return (
    <>
      <p>{t('privacy.intro')}</p>
      <section className="card" aria-labelledby="retention-title">
        <h2 id="retention-title">{t('privacy.retentionTitle')}</h2>
        <Retention />
      </section>
      <section className="card" aria-labelledby="shopper-title">
        <h2 id="shopper-title">{t('privacy.shopperTitle')}</h2>
        <ShopperRequest />
      </section>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">{t('privacy.exportTitle')}</h2>
        <TenantExport />
      </section>
      <section className="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">{t('privacy.deleteTitle')}</h2>
        <DeleteTenant />
      </section>
    </>
  );
}

/** The tenant's privacy tools (owners and admins): retention, a shopper's data by receipt code and its erasure,
 * the export of everything, and the deletion of the business (owners only). */
export function PrivacyPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('privacy.title')}>
      <AdminOnly message={t('privacy.adminOnly')}><Privacy /></AdminOnly>
    </Layout>
  );
}
