import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';

import { AdminOnly, useTenantRole } from '../components/AdminOnly';
import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { locale } from '../format';
import type { Role, TeamQuery as TeamResult } from '../gql/graphql';
import { InviteMemberMutation, RevokeInvitationMutation, TeamQuery } from '../graphql/team';
import { Members, StoreNames } from './TeamMembers';

type Errors = readonly { code: string; message: string; field?: string | null }[];
type Store = TeamResult['stores']['edges'][number]['node'];
type Invitation = TeamResult['invitations']['edges'][number]['node'];

const ROLES: Role[] = ['ANALYST', 'STORE_MANAGER', 'ADMIN', 'OWNER'];

function InviteForm({ stores, onInvited }: { stores: readonly Store[]; onInvited: () => void }) {
  const { t } = useTranslation();
  const own = useTenantRole();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('ANALYST');
  const [storeIds, setStoreIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [state, invite] = useMutation(InviteMemberMutation);
  const toggle = (id: string, on: boolean) => setStoreIds((ids) => (on ? [...ids, id] : ids.filter((s) => s !== id)));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    setSent(null);
    const result = await invite({ email, role, storeIds: role === 'STORE_MANAGER' ? storeIds : null });
    const payload = result.data?.inviteMember;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.invitation) {
      setSent(payload.invitation.email);
      setEmail('');
      setStoreIds([]);
      onInvited();
    }
  };
  // A plan's limit (e.g. no seat left) is about the whole invitation, whichever field the API names.
  const general = errors.filter((e) => e.code === 'plan_limit' || (e.field !== 'email' && e.field !== 'storeIds'));
  const onFields = errors.filter((e) => !general.includes(e));
  const storeError = errorOn(onFields, 'storeIds');
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="invite-title">
      <h2 id="invite-title">{t('team.invite')}</h2>
      <p className="hint">{t('team.inviteIntro')}</p>
      {failed && <ErrorNotice />}
      {general.map((e) => <ErrorNotice key={e.code + e.message} message={e.message} />)}
      {sent && <p role="status" className="state-done">{t('team.sent', { email: sent })}</p>}
      <Field label={t('team.email')} type="email" name="email" autoComplete="off" required value={email}
        error={errorOn(onFields, 'email')} onChange={(e) => setEmail(e.target.value)} />
      <div className="field">
        <label htmlFor="invite-role">{t('team.role')}</label>
        <select id="invite-role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.filter((r) => r !== 'OWNER' || own === 'OWNER').map((r) => (
            <option key={r} value={r}>{t(`team.role_${r}`)}</option>
          ))}
        </select>
        <p className="hint">{t('team.roleHint')}</p>
      </div>
      {role === 'STORE_MANAGER' && (
        <fieldset className="choices" aria-describedby={storeError ? 'invite-stores-error' : undefined}>
          <legend>{t('team.storesLegend')}</legend>
          {stores.length === 0 && <p className="hint">{t('team.createStoreFirst')}</p>}
          {stores.map((store) => (
            <label key={store.id} className="choice">
              <input type="checkbox" name="storeIds" value={store.id} checked={storeIds.includes(store.id)}
                onChange={(e) => toggle(store.id, e.target.checked)} />
              {store.name}
            </label>
          ))}
          {storeError && <p className="field-error" id="invite-stores-error">{storeError}</p>}
        </fieldset>
      )}
      <button type="submit" disabled={state.fetching}>{t('team.submit')}</button>
    </form>
  );
}

function Invitations({ invitations, onChanged }: { invitations: readonly Invitation[]; onChanged: () => void }) {
  const { t, i18n } = useTranslation();
  const [state, revoke] = useMutation(RevokeInvitationMutation);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const day = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium' });
  const onRevoke = async (invitation: Invitation) => {
    const result = await revoke({ id: invitation.id });
    const refused = result.data?.revokeInvitation.errors[0]?.message;
    if (result.error || refused) {
      setMessage({ error: true, text: refused ?? t('state.error') });
    } else {
      setMessage({ error: false, text: t('team.revoked', { email: invitation.email }) });
    }
    heading.current?.focus(); // the row and its button go: keyboard focus stays in the list
    onChanged();
  };
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title" tabIndex={-1} ref={heading}>{t('team.invitations')}</h2>
      {message && (message.error ? <ErrorNotice message={message.text} /> : <p role="status">{message.text}</p>)}
      {invitations.length === 0 ? <Empty><p>{t('team.invitationsEmpty')}</p></Empty> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('team.email')}</th><th scope="col">{t('team.role')}</th>
              <th scope="col">{t('team.stores')}</th><th scope="col">{t('team.expires')}</th>
              <th scope="col">{t('team.status')}</th><th scope="col"><span className="visually-hidden">{t('team.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {invitations.map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td>{t(`team.role_${invitation.role}`)}</td>
                <td><StoreNames role={invitation.role} stores={invitation.stores} /></td>
                <td>{day.format(new Date(invitation.expiresAt))}</td>
                <td>{t(`team.status_${invitation.status}`)}</td>
                <td>
                  {invitation.status === 'PENDING' && (
                    <button type="button" className="secondary" disabled={state.fetching} onClick={() => onRevoke(invitation)}>
                      {t('team.revoke')} <span className="visually-hidden">{t('team.revokeWho', { email: invitation.email })}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Team() {
  const { t } = useTranslation();
  const [{ data, fetching, error }, refetch] = useQuery({ query: TeamQuery });
  const again = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={again} />;
  }
  const members = data?.members.edges.map((edge) => edge.node) ?? [];
  const invitations = data?.invitations.edges.map((edge) => edge.node) ?? [];
  const stores = data?.stores.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <Members members={members} stores={stores} onChanged={again} />
      <Invitations invitations={invitations} onChanged={again} />
      <InviteForm stores={stores} onInvited={again} />
    </>
  );
}

/** The tenant's people (owners and admins): members (change role, remove, log out everywhere), pending invitations,
 * and "invite someone". */
export function TeamPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('team.title')}>
      <AdminOnly message={t('team.adminOnly')}><Team /></AdminOnly>
    </Layout>
  );
}
