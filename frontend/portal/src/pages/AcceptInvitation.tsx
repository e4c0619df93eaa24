import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/States';
import { chooseTenant } from '../graphql/client';
import { AcceptInvitationMutation } from '../graphql/team';
import { useLinkToken } from '../linkToken';
import { useSession } from '../session';

type Errors = readonly { code: string; message: string; field?: string | null }[];

/** Refusals of acceptInvitation that the page words itself (the API's own message for the others). */
const WORDED = ['login_required', 'wrong_account'];

/** Where the invitation mail's link lands (/accept-invitation#token=…): a new person chooses a name and password,
 * someone logged in accepts with one button; either way they join the tenant and go to its stores. */
export function AcceptInvitationPage() {
  const { t } = useTranslation();
  const token = useLinkToken();
  const { me, fetching } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, accept] = useMutation(AcceptInvitationMutation);
  const title = t('acceptInvitation.title');
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await accept(me ? { token } : { token, password: password || null, name: name.trim() || null });
    const payload = result.data?.acceptInvitation;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (!payload.errors.length && payload.tenant) {
      chooseTenant(payload.tenant.slug);
      window.location.assign('/portal');
    }
  };
  if (!token) {
    return <Layout title={title}><ErrorNotice message={t('acceptInvitation.noToken')} /></Layout>;
  }
  if (errors.some((e) => e.code === 'invalid_token')) {
    return (
      <Layout title={title}>
        <ErrorNotice message={t('acceptInvitation.invalid')} />
        <p><Link to={me ? '/portal' : '/login'}>{me ? t('acceptInvitation.toPortal') : t('acceptInvitation.login')}</Link></p>
      </Layout>
    );
  }
  if (fetching) {
    return <Layout title={title}><Loading /></Layout>;
  }
  // Back here after logging in, the token still in a fragment: the login page is loaded without it.
  const login = `/login#${new URLSearchParams({ next: `/accept-invitation#${new URLSearchParams({ token })}` })}`;
  const worded = errors.find((e) => WORDED.includes(e.code));
  const general = errors.find((e) => !WORDED.includes(e.code) && e.field !== 'password' && e.field !== 'name');
  return (
    <Layout title={title}>
      <form className="card narrow" onSubmit={onSubmit}>
        {failed && <ErrorNotice />}
        {worded && <ErrorNotice message={t(`acceptInvitation.${worded.code}`)} />}
        {general && <ErrorNotice message={general.message} />}
        {me ? (
          <p>{t('acceptInvitation.loggedInAs', { email: me.email })}</p>
        ) : (
          <>
            <p>{t('acceptInvitation.intro')}</p>
            <Field label={t('field.name')} name="name" autoComplete="name" value={name} error={errorOn(errors, 'name')}
              onChange={(e) => setName(e.target.value)} />
            <Field label={t('field.newPassword')} type="password" name="password" autoComplete="new-password" required
              hint={t('field.passwordHint')} value={password} error={errorOn(errors, 'password')}
              onChange={(e) => setPassword(e.target.value)} />
          </>
        )}
        <button type="submit" disabled={state.fetching}>{me ? t('acceptInvitation.accept') : t('acceptInvitation.join')}</button>
        {!me && <p>{t('acceptInvitation.haveAccount')} <Link to={login}>{t('acceptInvitation.loginFirst')}</Link></p>}
      </form>
    </Layout>
  );
}
