import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice } from '../components/States';
import { RequestPasswordResetMutation, ResetPasswordMutation } from '../graphql/operations';
import { useLinkToken } from '../linkToken';

type Errors = readonly { code: string; message: string; field?: string | null }[];

function RequestReset() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [done, setDone] = useState(false);
  const [failed, setFailed] = useState(false);
  const [state, request] = useMutation(RequestPasswordResetMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await request({ email });
    setFailed(Boolean(result.error) || !result.data?.requestPasswordReset.ok);
    setDone(Boolean(result.data?.requestPasswordReset.ok));
  };
  if (done) {
    return <div className="card narrow" role="status"><p>{t('reset.sent', { email })}</p></div>;
  }
  return (
    <form className="card narrow" onSubmit={onSubmit}>
      <p>{t('reset.intro')}</p>
      {failed && <ErrorNotice />}
      <Field label={t('field.email')} type="email" name="email" autoComplete="email" required value={email}
        onChange={(e) => setEmail(e.target.value)} />
      <button type="submit" disabled={state.fetching}>{t('reset.submit')}</button>
      <p><Link to="/login">{t('reset.back')}</Link></p>
    </form>
  );
}

function ChoosePassword({ token }: { token: string }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [done, setDone] = useState(false);
  const [failed, setFailed] = useState(false);
  const [state, reset] = useMutation(ResetPasswordMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await reset({ token, newPassword: password });
    setFailed(Boolean(result.error));
    setErrors(result.data?.resetPassword.errors ?? []);
    setDone(Boolean(result.data?.resetPassword.ok));
  };
  if (done) {
    return <div className="card narrow" role="status"><p>{t('reset.done')}</p><p><Link to="/login">{t('reset.back')}</Link></p></div>;
  }
  const general = errors.find((e) => e.field !== 'newPassword');
  return (
    <form className="card narrow" onSubmit={onSubmit}>
      {failed && <ErrorNotice />}
      {general && <ErrorNotice message={general.message} />}
      <Field label={t('field.newPassword')} type="password" name="newPassword" autoComplete="new-password" required
        hint={t('field.passwordHint')} value={password} error={errorOn(errors, 'newPassword')}
        onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" disabled={state.fetching}>{t('reset.choose')}</button>
    </form>
  );
}

/** /reset-password asks for the address; the mail's link (/reset-password#token=…) chooses the new password. */
export function ResetPasswordPage() {
  const { t } = useTranslation();
  const token = useLinkToken();
  return (
    <Layout title={t('reset.title')}>
      {token ? <ChoosePassword token={token} /> : <RequestReset />}
    </Layout>
  );
}
