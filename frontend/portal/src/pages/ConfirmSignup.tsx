import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice } from '../components/States';
import { chooseTenant } from '../graphql/client';
import { ConfirmSignupMutation } from '../graphql/operations';
import { useLinkToken } from '../linkToken';

type Errors = readonly { code: string; message: string; field?: string | null }[];

/** Where the sign-up mail's link lands (/confirm-signup#token=…): choose a password, and the business is created on the Pilot plan. */
export function ConfirmSignupPage() {
  const { t } = useTranslation();
  const token = useLinkToken();
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, confirm] = useMutation(ConfirmSignupMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await confirm({ token, password: password || null });
    if (result.error || !result.data) {
      setFailed(true);
      return;
    }
    const payload = result.data.confirmSignup;
    setErrors(payload.errors);
    if (!payload.errors.length && payload.tenant) {
      chooseTenant(payload.tenant.slug);
      window.location.assign('/portal');
    }
  };
  const general = errors.find((e) => e.field !== 'password');
  if (!token) {
    return (
      <Layout title={t('confirm.title')}>
        <ErrorNotice message={t('confirm.noToken')} />
        <p><Link to="/signup">{t('confirm.again')}</Link></p>
      </Layout>
    );
  }
  return (
    <Layout title={t('confirm.title')}>
      <form className="card narrow" onSubmit={onSubmit}>
        <p>{t('confirm.intro')}</p>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('field.newPassword')} type="password" name="password" autoComplete="new-password"
          hint={t('field.passwordHint')} value={password} error={errorOn(errors, 'password')}
          onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={state.fetching}>{t('confirm.submit')}</button>
      </form>
    </Layout>
  );
}
