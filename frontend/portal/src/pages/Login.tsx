import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from 'urql';

import { Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice, firstError } from '../components/States';
import { LoginMutation } from '../graphql/operations';

/** Only paths of this site (no other origin, no protocol-relative //host) are followed after logging in. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/portal';
}

export function LoginPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [state, login] = useMutation(LoginMutation);
  const [message, setMessage] = useState<string | null>(null);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const result = await login({ email, password });
    const errors = result.data?.login.errors;
    if (result.error) {
      setMessage(t('state.error'));
    } else if (errors && errors.length) {
      setMessage(firstError(errors));
    } else {
      window.location.assign(safeNext(params.get('next')));
    }
  };
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
