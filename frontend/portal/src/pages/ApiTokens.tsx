import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';

import { AdminOnly } from '../components/AdminOnly';
import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { locale } from '../format';
import type { ApiTokenScope, ApiTokensQuery as TokensResult } from '../gql/graphql';
import { ApiTokensQuery, CreateApiTokenMutation, RevokeApiTokenMutation } from '../graphql/tokens';

type Errors = readonly { code: string; message: string; field?: string | null }[];
type Token = TokensResult['apiTokens']['edges'][number]['node'];

const SCOPES: ApiTokenScope[] = ['READ', 'WRITE'];
const LIFETIMES = ['never', '30', '90', '365'] as const;
const DAY_MS = 86_400_000;

/** When a token made now for `lifetime` expires (null: never). */
export function expiryOf(lifetime: string, now: Date = new Date()): string | null {
  return lifetime === 'never' ? null : new Date(now.getTime() + Number(lifetime) * DAY_MS).toISOString();
}

/** The secret of a token just made: shown this once, with a copy button. */
function NewSecret({ name, secret, onHide }: { name: string; secret: string; onHide: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<boolean | null>(null);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    // Keyboard and screen-reader users land on the secret they must copy now.
    panel.current?.querySelector('input')?.focus();
  }, [secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section className="card secret" aria-labelledby="secret-title" ref={panel}>
      <h2 id="secret-title">{t('tokens.secretTitle', { name })}</h2>
      <p className="warning"><strong>{t('tokens.secretWarning')}</strong></p>
      <div className="inline-form">
        <Field label={t('tokens.secretLabel')} name="secret" readOnly value={secret} data-testid="token-secret"
          spellCheck={false} autoComplete="off" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy}>{t('tokens.copy')}</button>
        <button type="button" className="secondary" onClick={onHide}>{t('tokens.hide')}</button>
      </div>
      <p role="status" className={copied === false ? 'field-error' : 'hint'}>
        {copied === true ? t('tokens.copied') : copied === false ? t('tokens.copyFailed') : ''}
      </p>
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiTokenScope>('READ');
  const [lifetime, setLifetime] = useState<string>('never');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, create] = useMutation(CreateApiTokenMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await create({ input: { name: name.trim(), scopes: [scope], expiresAt: expiryOf(lifetime) } });
    const payload = result.data?.createApiToken;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.token && payload.secret) {
      onCreated(payload.token.name, payload.secret);
      setName('');
    }
  };
  const general = errors.find((e) => e.field !== 'name');
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="create-token">
      <h2 id="create-token">{t('tokens.create')}</h2>
      {failed && <ErrorNotice />}
      {general && <ErrorNotice message={general.message} />}
      <Field label={t('tokens.name')} name="tokenName" required hint={t('tokens.nameHint')} value={name}
        error={errorOn(errors, 'name')} onChange={(e) => setName(e.target.value)} />
      <fieldset className="choices">
        <legend>{t('tokens.access')}</legend>
        {SCOPES.map((s) => (
          <label key={s} className="choice">
            <input type="radio" name="scope" value={s} checked={scope === s} onChange={() => setScope(s)} />
            {t(`tokens.scope_${s}`)} <span className="hint">{t(`tokens.scopeHint_${s}`)}</span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="token-lifetime">{t('tokens.lifetime')}</label>
        <select id="token-lifetime" name="lifetime" value={lifetime} onChange={(e) => setLifetime(e.target.value)}>
          {LIFETIMES.map((l) => <option key={l} value={l}>{t(`tokens.lifetime_${l}`)}</option>)}
        </select>
      </div>
      <button type="submit" disabled={state.fetching}>{t('tokens.submit')}</button>
    </form>
  );
}

function statusOf(token: Token): 'active' | 'revoked' | 'expired' {
  return token.active ? 'active' : token.revokedAt ? 'revoked' : 'expired';
}

/** One token's row; revoking asks first, and keyboard focus follows: to "Cancel", then back to "Revoke". */
function TokenRow({ token, busy, onRevoke }: { token: Token; busy: boolean; onRevoke: (token: Token) => void }) {
  const { t, i18n } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const asked = useRef(false);
  const revokeButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) {
      asked.current = true;
      cancelButton.current?.focus();
    } else if (asked.current) {
      revokeButton.current?.focus();
    }
  }, [confirming]);
  const when = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
  const question = t('tokens.confirmRevoke', { name: token.name });
  return (
    <tr>
      <td>{token.name} <code className="hint">{token.prefix}…</code></td>
      <td>{token.scopes.includes('WRITE') ? t('tokens.scope_WRITE') : t('tokens.scope_READ')}</td>
      <td>{token.createdBy ?? '—'}</td>
      <td>{when.format(new Date(token.createdAt))}</td>
      <td>{token.lastUsedAt ? when.format(new Date(token.lastUsedAt)) : t('tokens.never')}</td>
      <td>
        {t(`tokens.${statusOf(token)}`)}
        {token.active && token.expiresAt && (
          <span className="hint"> {t('tokens.expiresOn', { date: when.format(new Date(token.expiresAt)) })}</span>
        )}
      </td>
      <td>
        {token.active && !confirming && (
          <button type="button" className="secondary" ref={revokeButton} onClick={() => setConfirming(true)}>
            {t('tokens.revoke')} <span className="visually-hidden">{token.name}</span>
          </button>
        )}
        {token.active && confirming && (
          <div role="group" aria-label={question} className="actions confirm">
            <span aria-hidden="true">{question}</span>
            <button type="button" disabled={busy} onClick={() => onRevoke(token)}>{t('tokens.confirm')}</button>
            <button type="button" className="secondary" ref={cancelButton} onClick={() => setConfirming(false)}>
              {t('tokens.cancel')}
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}

function TokenList({ tokens, onChanged }: { tokens: readonly Token[]; onChanged: () => void }) {
  const { t } = useTranslation();
  const [message, setMessage] = useState<string | null>(null);
  const [state, revoke] = useMutation(RevokeApiTokenMutation);
  const onRevoke = async (token: Token) => {
    const result = await revoke({ id: token.id });
    setMessage(result.error ? t('state.error') : result.data?.revokeApiToken.errors[0]?.message ?? null);
    onChanged();
  };
  if (tokens.length === 0) {
    return <Empty><p>{t('tokens.empty')}</p></Empty>;
  }
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t('tokens.list')}</h2>
      {message && <ErrorNotice message={message} />}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('tokens.name')}</th><th scope="col">{t('tokens.access')}</th>
            <th scope="col">{t('tokens.createdBy')}</th><th scope="col">{t('tokens.created')}</th>
            <th scope="col">{t('tokens.lastUsed')}</th><th scope="col">{t('tokens.status')}</th>
            <th scope="col"><span className="visually-hidden">{t('tokens.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => <TokenRow key={token.id} token={token} busy={state.fetching} onRevoke={onRevoke} />)}
        </tbody>
      </table>
    </section>
  );
}

function Tokens() {
  const { t } = useTranslation();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiTokensQuery });
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const again = () => refetch({ requestPolicy: 'network-only' });
  const tokens = data?.apiTokens.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <p>{t('tokens.intro')}</p>
      {created && <NewSecret name={created.name} secret={created.secret} onHide={() => setCreated(null)} />}
      {fetching && !data && <Loading />}
      {error && !data && <ErrorNotice onRetry={again} />}
      {data && <TokenList tokens={tokens} onChanged={again} />}
      <CreateToken onCreated={(name, secret) => { setCreated({ name, secret }); again(); }} />
    </>
  );
}

/** The tenant's API tokens (owners and admins): what each may do and when it was last used; create and revoke. */
export function ApiTokensPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('tokens.title')}>
      <AdminOnly message={t('tokens.adminOnly')}><Tokens /></AdminOnly>
    </Layout>
  );
}
