// "Choose your own password": where the portal sends a person who logged in with a password the system generated
// (pejling create-tenant prints one; graphql/client.ts sendToChoosePassword and session.tsx RequireLogin bring them
// here). Until they change it the API does nothing else for them (graphql/password_change_rule.py), so this page
// offers no navigation, only logging out. Once changed, the portal goes on to where they were going (?next=, a path
// of this site only); a person who has their own password already goes there at once.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useSearchParams } from 'react-router';
import { useMutation } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice } from '../components/States';
import { ChangePasswordMutation } from '../graphql/operations';
import { useSession } from '../session';
import { onlyNext, safeNext } from './Login';

type Errors = readonly { code: string; message: string; field?: string | null }[];
const FIELDS = ['currentPassword', 'newPassword'];

export function ChoosePasswordPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [params] = useSearchParams();
  const next = safeNext(onlyNext(params));
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, change] = useMutation(ChangePasswordMutation);
  if (me && !me.passwordChangeRequired) {
    return <Navigate to={next} replace />;
  }
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await change({ currentPassword: current, newPassword: password });
    setFailed(Boolean(result.error));
    setErrors(result.data?.changePassword.errors ?? []);
    if (result.data?.changePassword.ok) {
      setCurrent('');
      setPassword('');
      window.location.assign(next); // afresh: the session is a full one now
    }
  };
  const general = errors.find((e) => !e.field || !FIELDS.includes(e.field));
  const expired = errors.some((e) => e.code === 'password_expired');
  return (
    <Layout title={t('choosePassword.title')} navigation={false}>
      <form className="card narrow" onSubmit={onSubmit} aria-describedby="choose-password-intro">
        <p id="choose-password-intro">{t('choosePassword.intro')}</p>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('choosePassword.given')} type="password" name="currentPassword" autoComplete="current-password"
          required autoFocus value={current} error={errorOn(errors, 'currentPassword')}
          onChange={(e) => setCurrent(e.target.value)} />
        {expired && <p><Link to="/reset-password">{t('choosePassword.reset')}</Link></p>}
        <Field label={t('field.newPassword')} type="password" name="newPassword" autoComplete="new-password" required
          hint={t('field.passwordHint')} value={password} error={errorOn(errors, 'newPassword')}
          onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={state.fetching}>{t('choosePassword.submit')}</button>
      </form>
    </Layout>
  );
}
