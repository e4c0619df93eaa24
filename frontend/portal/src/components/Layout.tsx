// The frame of every page: a skip link, the header (brand, navigation for members, business, language, log out)
// and main.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { isAdmin, useTenantRole } from './AdminOnly';
import { LogoutMutation } from '../graphql/operations';
import { chooseTenant } from '../graphql/client';
import { LANGUAGE_NAMES, LANGUAGES, rememberLanguage } from '../i18n';
import { useSession } from '../session';

export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language">
      <span>{t('layout.language')}</span>
      <select value={i18n.language} onChange={(event) => rememberLanguage(event.target.value)}>
        {LANGUAGES.map((code) => <option key={code} value={code} lang={code}>{LANGUAGE_NAMES[code]}</option>)}
      </select>
    </label>
  );
}

/** The business the portal works in: its name, or a choice when the person belongs to several. Choosing one starts
 * the portal afresh in it (nothing cached from the other business is kept). */
export function TenantPicker() {
  const { t } = useTranslation();
  const { me, tenantSlug } = useSession();
  const memberships = me?.memberships ?? [];
  const current = memberships.find((m) => m.tenant.slug === tenantSlug)?.tenant;
  if (memberships.length < 2) {
    return current ? <span className="tenant">{current.name}</span> : null;
  }
  const onChange = (slug: string) => {
    chooseTenant(slug);
    window.location.assign('/portal');
  };
  return (
    <label className="tenant">
      <span>{t('layout.business')}</span>
      <select value={tenantSlug} onChange={(event) => onChange(event.target.value)}>
        {memberships.map((m) => <option key={m.tenant.slug} value={m.tenant.slug}>{m.tenant.name}</option>)}
      </select>
    </label>
  );
}

function LogoutButton() {
  const { t } = useTranslation();
  const [state, logout] = useMutation(LogoutMutation);
  const onClick = async () => {
    const result = await logout({});
    if (result.data?.logout.ok) {
      chooseTenant('');
      window.location.assign('/login');
    }
  };
  return <button type="button" className="link-button" onClick={onClick} disabled={state.fetching}>{t('layout.logout')}</button>;
}

/** `navigation={false}`: no links to the portal's pages (a page the person must finish first); logging out stays. */
export function Layout({ title, children, navigation = true }: { title: string; children: ReactNode;
  navigation?: boolean }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const admin = isAdmin(useTenantRole());
  return (
    <>
      <a className="skip" href="#main">{t('layout.skip')}</a>
      <header className="top">
        {navigation ? <Link to={me ? '/portal' : '/'} className="brand">Pejling</Link>
          : <span className="brand">Pejling</span>}
        {me && navigation && (
          <nav aria-label={t('layout.navigation')}>
            <Link to="/portal">{t('layout.stores')}</Link>
            {admin && <Link to="/portal/channels">{t('channels.nav')}</Link>}
            <Link to="/portal/responses">{t('responses.nav')}</Link>
            <Link to="/portal/follow-ups">{t('followUps.nav')}</Link>
            {admin && <Link to="/portal/survey">{t('survey.nav')}</Link>}
            {admin && <Link to="/portal/integrations">{t('integrations.nav')}</Link>}
            {admin && <Link to="/portal/team">{t('team.nav')}</Link>}
            {admin && <Link to="/portal/api-tokens">{t('tokens.nav')}</Link>}
            {admin && <Link to="/portal/privacy">{t('privacy.nav')}</Link>}
            {admin && <Link to="/portal/billing">{t('billing.nav')}</Link>}
            <Link to="/portal/security">{t('security.nav')}</Link>
          </nav>
        )}
        <div className="top-end">
          <TenantPicker />
          <LanguagePicker />
          {me && <LogoutButton />}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}
