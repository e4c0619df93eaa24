import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice } from '../components/States';
import { SignupMutation } from '../graphql/operations';

/** A web address for the business from its name: lower case, a-z 0-9 and dashes (å→aa, æ→ae, ø→oe, ä/ö too). */
export function slugFrom(name: string): string {
  const spelled = name.toLowerCase().replace(/å/g, 'aa').replace(/[æä]/g, 'ae').replace(/[øö]/g, 'oe')
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return spelled.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}

type Errors = readonly { code: string; message: string; field?: string | null }[];

export function SignupPage() {
  const { t, i18n } = useTranslation();
  const [tenantName, setTenantName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [state, signup] = useMutation(SignupMutation);
  const tenantSlug = slugEdited ? slug : slugFrom(tenantName);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await signup({ input: { tenantName, tenantSlug, email, name, language: i18n.language } });
    if (result.error || !result.data) {
      setFailed(true);
      return;
    }
    setErrors(result.data.signup.errors);
    if (result.data.signup.ok) {
      setSentTo(email);
    }
  };

  if (sentTo) {
    return (
      <Layout title={t('signup.sentTitle')}>
        <div className="card narrow" role="status">
          <p>{t('signup.sent', { email: sentTo })}</p>
        </div>
      </Layout>
    );
  }
  const general = errors.find((e) => !e.field);
  return (
    <Layout title={t('signup.title')}>
      <form className="card narrow" onSubmit={onSubmit} noValidate>
        <p>{t('signup.intro')}</p>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('field.business')} name="tenantName" required value={tenantName}
          error={errorOn(errors, 'tenantName')} onChange={(e) => setTenantName(e.target.value)} />
        <Field label={t('field.slug')} name="tenantSlug" required value={tenantSlug} hint={t('signup.slugHint')}
          error={errorOn(errors, 'tenantSlug')}
          onChange={(e) => { setSlugEdited(true); setSlug(e.target.value); }} />
        <Field label={t('field.name')} name="name" autoComplete="name" value={name}
          error={errorOn(errors, 'name')} onChange={(e) => setName(e.target.value)} />
        <Field label={t('field.email')} type="email" name="email" autoComplete="email" required value={email}
          error={errorOn(errors, 'email')} onChange={(e) => setEmail(e.target.value)} />
        <button type="submit" disabled={state.fetching}>{t('signup.submit')}</button>
        <p>{t('signup.haveAccount')} <Link to="/login">{t('signup.login')}</Link></p>
      </form>
    </Layout>
  );
}
