// Your account's security: two-step login with an authenticator app (enrol with a QR code, confirm with a first
// code, recovery codes shown once, switch off with the password and a code). Every member has it, for themselves.
// Owners may require it of the business's password logins; the API then sends members without it here
// (graphql/client.ts sendToTwoStep, with ?required=1), and this page says why.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { useTenantRole } from '../components/AdminOnly';

import { Field, errorOn } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/States';
import {
  ConfirmTotpEnrolmentMutation,
  DisableTotpMutation,
  SetRequireTwoStepMutation,
  StartTotpEnrolmentMutation,
  TwoStepQuery,
  TwoStepRuleQuery,
} from '../graphql/security';

type Problem = { code: string; message: string; field?: string | null };
type Enrolment = { uri: string; qrSvg: string; manualKey: string };

/** The QR code's SVG as an image source: shown as an <img>, so nothing in it runs. */
export function svgSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The key in groups of four, easier to type into an app. */
export function groupedKey(key: string): string {
  return key.replace(/(.{4})(?=.)/g, '$1 ');
}

function general(errors: readonly Problem[] | undefined, ...fields: string[]): string | null {
  const found = errors?.find((e) => !e.field || !fields.includes(e.field));
  return found ? found.message : null;
}

/** The recovery codes of a fresh enrolment: shown this once. */
function RecoveryCodes({ codes, onHide }: { codes: string[]; onHide: () => void }) {
  const { t } = useTranslation();
  const panel = useRef<HTMLElement>(null);
  useEffect(() => panel.current?.focus(), []);
  return (
    <section className="card secret" aria-labelledby="recovery-title" ref={panel} tabIndex={-1}>
      <h2 id="recovery-title">{t('security.recoveryTitle')}</h2>
      <p className="warning"><strong>{t('security.recoveryWarning')}</strong></p>
      <ul className="recovery-codes" aria-label={t('security.recoveryTitle')}>
        {codes.map((code) => <li key={code}><code>{code}</code></li>)}
      </ul>
      <button type="button" onClick={onHide}>{t('security.recoveryStored')}</button>
    </section>
  );
}

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [errors, setErrors] = useState<readonly Problem[]>([]);
  const [failed, setFailed] = useState(false);
  const [starting, start] = useMutation(StartTotpEnrolmentMutation);
  const [confirming, confirm] = useMutation(ConfirmTotpEnrolmentMutation);
  const onStart = async (event: FormEvent) => {
    event.preventDefault();
    const result = await start({ password });
    setFailed(Boolean(result.error));
    const payload = result.data?.startTotpEnrolment;
    setErrors(payload?.errors ?? []);
    if (payload?.enrolment) {
      setPassword('');
      setEnrolment(payload.enrolment);
    }
  };
  const onConfirm = async (event: FormEvent) => {
    event.preventDefault();
    const result = await confirm({ code: code.trim() });
    setFailed(Boolean(result.error));
    const payload = result.data?.confirmTotpEnrolment;
    setErrors(payload?.errors ?? []);
    if (payload?.recoveryCodes) {
      onEnabled(payload.recoveryCodes);
    }
  };
  if (!enrolment) {
    return (
      <form onSubmit={onStart} aria-labelledby="enrol-title">
        <h3 id="enrol-title">{t('security.enableTitle')}</h3>
        <p>{t('security.enableIntro')}</p>
        {failed && <ErrorNotice />}
        {general(errors, 'password') && <ErrorNotice message={general(errors, 'password') ?? undefined} />}
        <Field label={t('field.password')} type="password" name="password" autoComplete="current-password" required
          value={password} error={errorOn(errors, 'password')} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={starting.fetching}>{t('security.enableSubmit')}</button>
      </form>
    );
  }
  return (
    <form onSubmit={onConfirm} aria-labelledby="scan-title">
      <h3 id="scan-title">{t('security.scanTitle')}</h3>
      <p>{t('security.scanIntro')}</p>
      <img className="qr" src={svgSource(enrolment.qrSvg)} alt={t('security.qrAlt')} width={180} height={180} />
      <p>{t('security.manualKey')} <code data-testid="manual-key">{groupedKey(enrolment.manualKey)}</code></p>
      {failed && <ErrorNotice />}
      {general(errors, 'code') && <ErrorNotice message={general(errors, 'code') ?? undefined} />}
      <Field label={t('security.code')} name="code" autoComplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*"
        maxLength={8} required value={code} error={errorOn(errors, 'code')} onChange={(e) => setCode(e.target.value)} />
      <button type="submit" disabled={confirming.fetching}>{t('security.confirmSubmit')}</button>
    </form>
  );
}

function Disable({ recoveryCodesLeft, onDisabled }: { recoveryCodesLeft: number; onDisabled: () => void }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<readonly Problem[]>([]);
  const [failed, setFailed] = useState(false);
  const [state, disable] = useMutation(DisableTotpMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await disable({ password, code: code.trim() });
    setFailed(Boolean(result.error));
    const payload = result.data?.disableTotp;
    setErrors(payload?.errors ?? []);
    if (payload?.ok) {
      onDisabled();
    }
  };
  return (
    <>
      <p role="status">{t('security.enabled')}</p>
      <p>{t('security.recoveryLeft', { count: recoveryCodesLeft })}</p>
      <form onSubmit={onSubmit} aria-labelledby="disable-title">
        <h3 id="disable-title">{t('security.disableTitle')}</h3>
        <p>{t('security.disableIntro')}</p>
        {failed && <ErrorNotice />}
        {general(errors, 'password', 'code') && <ErrorNotice message={general(errors, 'password', 'code') ?? undefined} />}
        <Field label={t('field.password')} type="password" name="password" autoComplete="current-password" required
          value={password} error={errorOn(errors, 'password')} onChange={(e) => setPassword(e.target.value)} />
        <Field label={t('security.codeOrRecovery')} name="code" autoComplete="one-time-code" required value={code}
          error={errorOn(errors, 'code')} onChange={(e) => setCode(e.target.value)} />
        <button type="submit" className="secondary" disabled={state.fetching}>{t('security.disableSubmit')}</button>
      </form>
    </>
  );
}

/** For owners who use two-step login themselves: require it of every member who logs in with a password. */
export function TwoStepRule() {
  const { t } = useTranslation();
  const [{ data, error }, refetch] = useQuery({ query: TwoStepRuleQuery });
  const [state, save] = useMutation(SetRequireTwoStepMutation);
  const required = data?.tenant?.requireTwoStep;
  const problem = state.data?.setRequireTwoStep.errors[0];
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  if (required === undefined) {
    return <Loading />;
  }
  return (
    <section className="card" aria-labelledby="two-step-rule-title">
      <h2 id="two-step-rule-title">{t('security.ruleTitle')}</h2>
      <p>{t('security.ruleIntro')}</p>
      <label>
        <input type="checkbox" checked={required} disabled={state.fetching}
          onChange={(event) => { void save({ required: event.target.checked }); }} />
        {' '}{t('security.ruleToggle')}
      </label>
      {problem && <p role="alert">{problem.message}</p>}
    </section>
  );
}

export function SecurityPage() {
  const { t } = useTranslation();
  const required = new URLSearchParams(useLocation().search).has('required');
  const owner = useTenantRole() === 'OWNER';
  const [{ data, fetching, error }, refetch] = useQuery({ query: TwoStepQuery });
  const [codes, setCodes] = useState<string[] | null>(null);
  const [disabled, setDisabled] = useState(false);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const status = data?.me?.twoStep;
  return (
    <Layout title={t('security.title')}>
      {codes && <RecoveryCodes codes={codes} onHide={() => { setCodes(null); reload(); }} />}
      <section className="card" aria-labelledby="two-step-title">
        <h2 id="two-step-title">{t('security.twoStepTitle')}</h2>
        {required && !status?.enabled && <p role="alert" data-testid="two-step-required">{t('security.requiredNotice')}</p>}
        <p>{t('security.twoStepIntro')}</p>
        {disabled && <p role="status">{t('security.disabledNotice')}</p>}
        {fetching && !data && <Loading />}
        {error && !data && <ErrorNotice onRetry={reload} />}
        {status && !codes && (status.enabled
          ? <Disable recoveryCodesLeft={status.recoveryCodesLeft} onDisabled={() => { setDisabled(true); reload(); }} />
          : <Enrol onEnabled={(fresh) => { setDisabled(false); setCodes(fresh); }} />)}
      </section>
      {owner && status?.enabled && !codes && <TwoStepRule />}
    </Layout>
  );
}
