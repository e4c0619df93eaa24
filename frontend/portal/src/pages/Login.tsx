import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearchParams } from 'react-router';
import { useMutation } from 'urql';

import { Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice, firstError } from '../components/States';
import { choosePasswordPath } from '../graphql/client';
import { CompleteLoginMutation, LoginMutation } from '../graphql/operations';
import { fragmentParams } from '../linkToken';

/** Only paths of this site are followed after logging in (ASVS V1.2.2): `next` is read as the browser will read
 * it — it drops tabs and line breaks and takes `\\` for `/`, so `/\t/evil.example` is `//evil.example` — and kept only
 * when it stays on `origin`; anything else (another origin, `//host`, `javascript:`, `data:`) goes to /portal. */
export function safeNext(next: string | null, origin: string = window.location.origin): string {
  if (!next || !next.startsWith('/')) {
    return '/portal';
  }
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : '/portal';
  } catch {
    return '/portal';
  }
}

/** The `next` of a query or fragment when it is given once; given more than once it counts as none (ASVS V15.3.7:
 * no guessing which of two the person meant), so the portal goes to its start page. */
export function onlyNext(params: URLSearchParams): string | null {
  const values = params.getAll('next');
  return values.length === 1 ? values[0] : null;
}

/** The second step of a login for an account with two-step login: a code from the authenticator app, or a
 * recovery code. */
type LoggedIn = { passwordChangeRequired: boolean } | null | undefined;

function CodeStep({ challenge, onDone, onRestart }: { challenge: string; onDone: (me: LoggedIn) => void;
  onRestart: () => void }) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [state, complete] = useMutation(CompleteLoginMutation);
  const [message, setMessage] = useState<string | null>(null);
  const [expired, setExpired] = useState(false);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const result = await complete({ challenge, code: code.trim() });
    const errors = result.data?.completeLogin.errors;
    if (result.error) {
      setMessage(t('state.error'));
    } else if (errors && errors.length) {
      setExpired(errors[0].code === 'invalid_challenge');
      setMessage(firstError(errors));
    } else {
      onDone(result.data?.completeLogin.me);
    }
  };
  return (
    <form className="card narrow" onSubmit={onSubmit} aria-labelledby="code-step">
      <h2 id="code-step">{t('security.loginStepTitle')}</h2>
      {message && <ErrorNotice message={message} />}
      <p>{recovery ? t('security.loginRecoveryIntro') : t('security.loginCodeIntro')}</p>
      {recovery ? (
        <Field key="recovery" label={t('security.recoveryCode')} name="code" autoComplete="off" required
          autoFocus value={code} onChange={(e) => setCode(e.target.value)} />
      ) : (
        <Field key="totp" label={t('security.code')} name="code" autoComplete="one-time-code" inputMode="numeric"
          pattern="[0-9 ]*" maxLength={8} required autoFocus value={code} onChange={(e) => setCode(e.target.value)} />
      )}
      <button type="submit" disabled={state.fetching || expired}>{t('security.loginVerify')}</button>
      <p>
        <button type="button" className="link-button" onClick={() => { setRecovery(!recovery); setCode(''); }}>
          {recovery ? t('security.useApp') : t('security.useRecovery')}
        </button>
      </p>
      {expired && <p><button type="button" onClick={onRestart}>{t('security.loginAgain')}</button></p>}
    </form>
  );
}

export function LoginPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const { hash } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [state, login] = useMutation(LoginMutation);
  const [message, setMessage] = useState<string | null>(null);
  const [challenge, setChallenge] = useState<string | null>(null);
  // `next` in the query (the Shopify install's signed request), or in the fragment when it holds a mailed link's
  // token (an invitation), which must not reach the server. A password the system generated: first the person's own
  // (the API allows nothing else), then where they went.
  const enter = (me: LoggedIn) => {
    const next = safeNext(params.has('next') ? onlyNext(params) : onlyNext(fragmentParams(hash)));
    window.location.assign(me?.passwordChangeRequired ? choosePasswordPath(next) : next);
  };
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const result = await login({ email, password });
    const errors = result.data?.login.errors;
    if (result.error) {
      setMessage(t('state.error'));
    } else if (errors && errors.length) {
      setMessage(firstError(errors));
    } else if (result.data?.login.secondFactor) {
      setPassword('');
      setChallenge(result.data.login.secondFactor.challenge);
    } else {
      enter(result.data?.login.me);
    }
  };
  if (challenge) {
    return (
      <Layout title={t('login.title')}>
        <CodeStep challenge={challenge} onDone={enter} onRestart={() => setChallenge(null)} />
      </Layout>
    );
  }
  return (
    <Layout title={t('login.title')}>
      <form className="card narrow" onSubmit={onSubmit}>
        {params.get('deleted') && !message && <p role="status">{t('privacy.deletedNotice')}</p>}
        {message && <ErrorNotice message={message} />}
        <Field label={t('field.email')} type="email" name="email" autoComplete="username" required value={email}
          onChange={(e) => setEmail(e.target.value)} />
        <Field label={t('field.password')} type="password" name="password" autoComplete="current-password" required
          value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={state.fetching}>{t('login.submit')}</button>
        <p><Link to="/reset-password">{t('login.forgot')}</Link></p>
        <p>{t('login.new')} <Link to="/signup">{t('login.signup')}</Link></p>
      </form>
    </Layout>
  );
}
