// The Team page's member list: per member, change the role (and a store manager's stores), remove them after
// confirming, or log them out of every browser, each only where the API lets the logged-in person do it.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation } from 'urql';

import { useTenantRole } from '../components/AdminOnly';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNotice } from '../components/States';
import type { Role, TeamQuery as TeamResult } from '../gql/graphql';
import { EndMemberSessionsMutation, RemoveMemberMutation, UpdateMemberMutation } from '../graphql/team';
import { useSession } from '../session';

type Member = TeamResult['members']['edges'][number]['node'];
type Store = TeamResult['stores']['edges'][number]['node'];
type UserError = { code: string; message: string; field?: string | null };
type Message = { error: boolean; text: string };

const ROLES: Role[] = ['ANALYST', 'STORE_MANAGER', 'ADMIN', 'OWNER'];

/** Why the logged-in person may not change, remove or log out `member` (null when they may). */
export function lockedReason(own: Role | null, member: Member, owners: number): 'ownerOnly' | 'lastOwner' | null {
  if (member.role !== 'OWNER') {
    return null;
  }
  if (own !== 'OWNER') {
    return 'ownerOnly';
  }
  return owners <= 1 ? 'lastOwner' : null;
}

/** "All stores", or a store manager's stores by name. */
export function StoreNames({ role, stores }: { role: Role; stores: readonly { id: string; name: string }[] }) {
  const { t } = useTranslation();
  if (role !== 'STORE_MANAGER') {
    return <>{t('team.allStores')}</>;
  }
  return <>{stores.length ? stores.map((store) => store.name).join(', ') : t('team.noStores')}</>;
}

/** The API's refusal in the reader's language where its code says enough, else the API's own words. */
function useRefusal() {
  const { t } = useTranslation();
  return (error: UserError): string => {
    if (error.code === 'forbidden') {
      return t('team.refused_forbidden');
    }
    if (error.code === 'conflict') {
      return t('team.refused_lastOwner');
    }
    if (error.code === 'not_found' && error.field !== 'storeIds') {
      return t('team.refused_notFound');
    }
    if (error.code === 'invalid' && error.field === 'storeIds') {
      return t('team.refused_stores');
    }
    return error.message;
  };
}

function RoleEditor({ member, stores, onDone, onCancel }: {
  member: Member; stores: readonly Store[]; onDone: (message: Message, changed: boolean) => void; onCancel: () => void;
}) {
  const { t } = useTranslation();
  const own = useTenantRole();
  const id = useId();
  const refusal = useRefusal();
  const [role, setRole] = useState<Role>(member.role);
  const [storeIds, setStoreIds] = useState<string[]>(member.stores.map((store) => store.id));
  const [storeError, setStoreError] = useState<string | null>(null);
  const [state, update] = useMutation(UpdateMemberMutation);
  const toggle = (storeId: string, on: boolean) =>
    setStoreIds((ids) => (on ? [...ids, storeId] : ids.filter((s) => s !== storeId)));
  const who = member.name || member.email;
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setStoreError(null);
    if (role === 'STORE_MANAGER' && storeIds.length === 0) {
      setStoreError(t('team.refused_stores'));
      return;
    }
    const result = await update({ id: member.id, role, storeIds: role === 'STORE_MANAGER' ? storeIds : null });
    const payload = result.data?.updateMember;
    if (result.error || !payload) {
      onDone({ error: true, text: t('state.error') }, false);
      return;
    }
    const refused = payload.errors[0];
    if (refused && refused.field === 'storeIds') {
      setStoreError(refusal(refused));
    } else if (refused) {
      onDone({ error: true, text: refusal(refused) }, false);
    } else {
      onDone({ error: false, text: t('team.changed', { who, role: t(`team.role_${role}`) }) }, true);
    }
  };
  return (
    <form className="member-editor" onSubmit={onSubmit} aria-label={t('team.changeRoleOf', { who })}>
      <div className="field">
        <label htmlFor={`${id}-role`}>{t('team.newRole')}</label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.filter((r) => r !== 'OWNER' || own === 'OWNER').map((r) => (
            <option key={r} value={r}>{t(`team.role_${r}`)}</option>
          ))}
        </select>
      </div>
      {role === 'STORE_MANAGER' && (
        <fieldset className="choices" aria-describedby={storeError ? `${id}-stores-error` : undefined}>
          <legend>{t('team.storesLegend')}</legend>
          {stores.length === 0 && <p className="hint">{t('team.createStoreFirst')}</p>}
          {stores.map((store) => (
            <label key={store.id} className="choice">
              <input type="checkbox" value={store.id} checked={storeIds.includes(store.id)}
                onChange={(e) => toggle(store.id, e.target.checked)} />
              {store.name}
            </label>
          ))}
          {storeError && <p className="field-error" id={`${id}-stores-error`}>{storeError}</p>}
        </fieldset>
      )}
      <div className="actions">
        <button type="submit" disabled={state.fetching}>{state.fetching ? t('team.saving') : t('team.save')}</button>
        <button type="button" className="secondary" disabled={state.fetching} onClick={onCancel}>
          {t('confirmAction.cancel')}
        </button>
      </div>
    </form>
  );
}

function MemberRow({ member, stores, owners, onChanged, onRemoved }: {
  member: Member; stores: readonly Store[]; owners: number; onChanged: () => void; onRemoved: () => void;
}) {
  const { t } = useTranslation();
  const own = useTenantRole();
  const { me } = useSession();
  const id = useId();
  const refusal = useRefusal();
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<Message | null>(null);
  const changeButton = useRef<HTMLButtonElement>(null);
  const [removing, remove] = useMutation(RemoveMemberMutation);
  const [ending, end] = useMutation(EndMemberSessionsMutation);
  const who = member.name || member.email;
  const self = me?.email === member.email;
  const locked = lockedReason(own, member, owners);
  const closeEditor = () => {
    setEditing(false);
    changeButton.current?.focus();
  };
  const onRemove = async () => {
    setMessage(null);
    const result = await remove({ id: member.id });
    const refused = result.data?.removeMember.errors[0];
    if (result.error || !result.data) {
      setMessage({ error: true, text: t('state.error') });
    } else if (refused) {
      setMessage({ error: true, text: refusal(refused) });
    } else {
      onRemoved();
      return;
    }
    onChanged();
  };
  const onEndSessions = async () => {
    setMessage(null);
    const result = await end({ memberId: member.id });
    const payload = result.data?.endMemberSessions;
    if (result.error || !payload) {
      setMessage({ error: true, text: t('state.error') });
    } else if (payload.errors[0]) {
      setMessage({ error: true, text: refusal(payload.errors[0]) });
      onChanged(); // a member gone meanwhile disappears from the list
    } else {
      setMessage({ error: false, text: t(self ? 'team.endedSelf' : 'team.ended', { who, count: payload.ended }) });
    }
  };
  const hint = locked ? `${id}-locked` : undefined;
  return (
    <>
      <tr>
        <td>{member.name || '—'}{self && <> <span className="hint">{t('team.you')}</span></>}</td>
        <td>{member.email}</td>
        <td>{t(`team.role_${member.role}`)}</td>
        <td><StoreNames role={member.role} stores={member.stores} /></td>
        <td>
          <div className="actions">
            {locked !== 'ownerOnly' && (
              <>
                <button type="button" className="secondary" ref={changeButton} aria-expanded={editing}
                  aria-controls={`${id}-editor`} aria-describedby={hint} disabled={locked === 'lastOwner'}
                  onClick={() => { setMessage(null); setEditing((open) => !open); }}>
                  {t('team.changeRole')} <span className="visually-hidden">{t('team.ofWho', { who })}</span>
                </button>
                <ConfirmAction label={t('team.remove')} target={who} disabled={locked === 'lastOwner' || removing.fetching}
                  question={t('team.removeQuestion', { who })} confirmLabel={t('team.removeConfirm')}
                  onConfirm={onRemove}>
                  <p>{t(self ? 'team.removeSelfDetail' : 'team.removeDetail', { who })}</p>
                </ConfirmAction>
                <button type="button" className="secondary" disabled={ending.fetching} onClick={onEndSessions}>
                  {ending.fetching ? t('team.ending') : t('team.endSessions')}
                  {' '}<span className="visually-hidden">{t('team.forWho', { who })}</span>
                </button>
              </>
            )}
          </div>
          {locked && <p className="hint" id={hint}>{t(`team.locked_${locked}`)}</p>}
        </td>
      </tr>
      {(editing || message) && (
        <tr className="member-detail">
          <td colSpan={5} id={`${id}-editor`}>
            {message && (message.error ? <ErrorNotice message={message.text} /> : <p role="status">{message.text}</p>)}
            {editing && (
              <RoleEditor member={member} stores={stores} onCancel={closeEditor}
                onDone={(done, changed) => {
                  setMessage(done);
                  if (changed) {
                    closeEditor();
                  }
                  onChanged();
                }} />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

/** The tenant's members with, for owners and admins, what each of them may do to each member. */
export function Members({ members, stores, onChanged }: {
  members: readonly Member[]; stores: readonly Store[]; onChanged: () => void;
}) {
  const { t } = useTranslation();
  const [removed, setRemoved] = useState<Member | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const owners = members.filter((member) => member.role === 'OWNER').length;
  const gone = removed !== null && !members.some((member) => member.id === removed.id);
  useEffect(() => {
    if (gone) {
      heading.current?.focus(); // the row and its buttons went: keyboard focus stays in the list
    }
  }, [gone]);
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title" tabIndex={-1} ref={heading}>{t('team.members')}</h2>
      {removed && <p role="status">{t('team.removed', { who: removed.name || removed.email })}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('team.name')}</th><th scope="col">{t('team.email')}</th>
            <th scope="col">{t('team.role')}</th><th scope="col">{t('team.stores')}</th>
            <th scope="col"><span className="visually-hidden">{t('team.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <MemberRow key={member.id} member={member} stores={stores} owners={owners} onChanged={onChanged}
              onRemoved={() => {
                setRemoved(member);
                onChanged();
              }} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
