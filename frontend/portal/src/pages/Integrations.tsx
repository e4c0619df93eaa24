// The Integrations page (owners and admins): Shopify and Vipps MobilePay settings (plugin configuration through
// enablePlugin), the tenant's single sign-on (owners) and the webhook endpoints for integrators with their delivery log.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';

import { AdminOnly, useTenantRole } from '../components/AdminOnly';
import { ConfirmAction } from '../components/ConfirmAction';
import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, firstError, Loading } from '../components/States';
import { locale } from '../format';
import type { Role, WebhookEventType } from '../gql/graphql';
import {
  ConfigureSsoMutation, CreateWebhookEndpointMutation, DeleteWebhookEndpointMutation, DisablePluginMutation,
  DisableSsoMutation, EnablePluginMutation, IntegrationPluginsQuery, RedeliverWebhookMutation,
  RotateWebhookSecretMutation, SsoConfigurationQuery, UpdateWebhookEndpointMutation, WebhookDeliveriesQuery,
  WebhookEndpointsQuery,
} from '../graphql/integrations';

type Errors = readonly { code: string; message: string; field?: string | null }[];
type Config = Record<string, unknown>;
type Store = { id: string; name: string; slug: string };
type Shop = { shop: string; connected: boolean; tokenFingerprint?: string | null; installedAt: string;
  uninstalledAt?: string | null };
type PluginState = { name: string; enabled: boolean; alwaysOnReason?: string | null; config?: unknown; secretFields: string[] };
/** One row of a mapping (a Shopify location or a Vipps sales unit → a store slug). */
type Pair = { key: string; store: string };

export const WEBHOOK_EVENTS: WebhookEventType[] = ['RESPONSE_CREATED', 'FOLLOWUP_OPENED', 'FOLLOWUP_UPDATED'];

/** The mapping rows of a stored `{ id: slug }` object. */
export function pairsOf(value: unknown): Pair[] {
  if (!value || typeof value !== 'object') {
    return [];
  }
  return Object.entries(value as Record<string, unknown>).map(([key, store]) => ({ key, store: String(store) }));
}

/** The `{ id: slug }` object of mapping rows (rows without an id left out). */
export function mappingOf(pairs: readonly Pair[]): Record<string, string> {
  return Object.fromEntries(pairs.filter((p) => p.key.trim()).map((p) => [p.key.trim(), p.store]));
}

/** The stored configuration without its secret fields (the API shows them as null; sent back, null would clear them). */
export function withoutSecrets(config: unknown, secretFields: readonly string[]): Config {
  const copy: Config = { ...((config && typeof config === 'object' ? config : {}) as Config) };
  for (const field of secretFields) {
    delete copy[field];
  }
  return copy;
}

function useWhen() {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
  return (value: string | null | undefined) => (value ? format.format(new Date(value)) : '—');
}

/** The general errors of a payload: those not shown next to one of `fields`. */
function generalErrors(errors: Errors, fields: readonly string[]): Errors {
  return errors.filter((e) => !fields.some((f) => errorOn([e], f)));
}

/** A select of the tenant's stores by slug (the plugins' settings name stores by slug). */
function StoreSelect({ label, value, stores, onChange, error, allowNone }: {
  label: string; value: string; stores: readonly Store[]; onChange: (slug: string) => void; error?: string | null;
  allowNone?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}>
        {allowNone !== undefined && <option value="">{allowNone}</option>}
        {allowNone === undefined && value === '' && <option value="" />}
        {stores.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
        {value && !stores.some((s) => s.slug === value) && <option value={value}>{value}</option>}
      </select>
      {error && <p className="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

/** Rows of `id → store` with add and remove buttons. */
function MappingRows({ legend, keyLabel, keyPattern, pairs, stores, onChange, error }: {
  legend: string; keyLabel: string; keyPattern: string; pairs: Pair[]; stores: readonly Store[];
  onChange: (pairs: Pair[]) => void; error?: string | null;
}) {
  const { t } = useTranslation();
  const set = (index: number, pair: Pair) => onChange(pairs.map((p, i) => (i === index ? pair : p)));
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {pairs.length === 0 && <p className="hint">{t('integrations.noRows')}</p>}
      {pairs.map((pair, index) => (
        // eslint-disable-next-line react/no-array-index-key
        <div className="inline-form" key={index}>
          <Field label={keyLabel} value={pair.key} pattern={keyPattern} inputMode="numeric" required
            onChange={(e) => set(index, { ...pair, key: e.target.value })} />
          <StoreSelect label={t('integrations.store')} value={pair.store} stores={stores}
            onChange={(store) => set(index, { ...pair, store })} />
          <button type="button" className="secondary" onClick={() => onChange(pairs.filter((_, i) => i !== index))}>
            {t('integrations.removeRow')} <span className="visually-hidden">{pair.key}</span>
          </button>
        </div>
      ))}
      {error && <p className="field-error" role="alert">{error}</p>}
      <button type="button" className="secondary"
        onClick={() => onChange([...pairs, { key: '', store: stores[0]?.slug ?? '' }])}>{t('integrations.addRow')}</button>
    </fieldset>
  );
}

/** Saves a plugin's configuration with enablePlugin; the typed errors come back for the form to show. */
function usePluginSave(name: string, onSaved: () => void) {
  const { t } = useTranslation();
  const [state, enable] = useMutation(EnablePluginMutation);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [saved, setSaved] = useState(false);
  const save = async (config: Config) => {
    setFailed(false);
    setSaved(false);
    const result = await enable({ name, config });
    const payload = result.data?.enablePlugin;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.plugin) {
      setSaved(true);
      onSaved();
    }
  };
  const status = <p role="status" className="hint">{saved ? t('integrations.saved') : ''}</p>;
  return { save, errors, failed, saving: state.fetching, status };
}

function ErrorList({ errors, failed }: { errors: Errors; failed: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {failed && <ErrorNotice />}
      {errors.map((e) => (
        <ErrorNotice key={`${e.field}-${e.message}`}
          message={e.code === 'service_refused' ? t('integrations.serviceRefused', { message: e.message }) : e.message} />
      ))}
    </>
  );
}

function numberOrNull(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

/** The shops connected to this business, or that Shopify has not connected any yet. */
function ConnectedShops({ shops }: { shops: readonly Shop[] }) {
  const { t } = useTranslation();
  const when = useWhen();
  if (shops.length === 0) {
    return <Empty><p>{t('integrations.shopifyNoShop')}</p></Empty>;
  }
  return (
    <ul aria-label={t('integrations.shopifyShops')}>
      {shops.map((s) => (
        <li key={s.shop}>
          <strong>{s.shop}</strong>{' '}
          {s.connected ? t('integrations.shopConnected', { date: when(s.installedAt), fingerprint: s.tokenFingerprint })
            : t('integrations.shopUninstalled', { date: when(s.uninstalledAt) })}
        </li>
      ))}
    </ul>
  );
}

export function ShopifySection({ plugin, stores, shops, onSaved }: {
  plugin: PluginState | undefined; stores: readonly Store[]; shops: readonly Shop[]; onSaved: () => void;
}) {
  const { t } = useTranslation();
  const config = (plugin?.config ?? {}) as Config;
  const [locations, setLocations] = useState<Pair[]>(pairsOf(config.locations));
  const [online, setOnline] = useState(String(config.online_store ?? ''));
  const [delay, setDelay] = useState(String(config.invitation_delay_minutes ?? 1440));
  const [interest, setInterest] = useState(Boolean(config.legitimate_interest));
  const [reward, setReward] = useState(config.reward_percent == null ? '' : String(config.reward_percent));
  const [validDays, setValidDays] = useState(String(config.reward_valid_days ?? 30));
  const { save, errors, failed, saving, status } = usePluginSave('shopify', onSaved);
  if (!plugin) {
    return null;
  }
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void save({
      ...withoutSecrets(plugin.config, plugin.secretFields),
      locations: mappingOf(locations), online_store: online || null,
      invitation_delay_minutes: Number(delay), legitimate_interest: interest,
      reward_percent: numberOrNull(reward), reward_valid_days: Number(validDays),
    });
  };
  const fields = ['locations', 'online_store', 'invitation_delay_minutes', 'reward_percent', 'reward_valid_days'];
  return (
    <section className="card wide" aria-labelledby="shopify-title">
      <h2 id="shopify-title">{t('integrations.shopifyTitle')}</h2>
      <p>{t('integrations.shopifyIntro')}</p>
      <h3>{t('integrations.shopifyShops')}</h3>
      <ConnectedShops shops={shops} />
      <h3>{t('integrations.shopifyConnectTitle')}</h3>
      <ol>
        <li>{t('integrations.shopifyStep1')}</li>
        <li>{t('integrations.shopifyStep2')}</li>
        <li>{t('integrations.shopifyStep3')}</li>
      </ol>
      <p className="hint">{plugin.enabled ? t('integrations.pluginOn') : t('integrations.pluginOff')}</p>
      <form onSubmit={onSubmit} aria-labelledby="shopify-settings">
        <h3 id="shopify-settings">{t('integrations.settings')}</h3>
        <ErrorList errors={generalErrors(errors, fields)} failed={failed} />
        <MappingRows legend={t('integrations.shopifyLocations')} keyLabel={t('integrations.shopifyLocationId')}
          keyPattern="[0-9]{1,20}" pairs={locations} stores={stores} onChange={setLocations}
          error={errorOn(errors, 'locations')} />
        <StoreSelect label={t('integrations.shopifyOnlineStore')} value={online} stores={stores} onChange={setOnline}
          allowNone={t('integrations.shopifyNoOnline')} error={errorOn(errors, 'online_store')} />
        <Field label={t('integrations.shopifyDelay')} name="invitationDelay" type="number" min={0} max={43200} required
          hint={t('integrations.shopifyDelayHint')} value={delay} onChange={(e) => setDelay(e.target.value)}
          error={errorOn(errors, 'invitation_delay_minutes')} />
        <label className="choice">
          <input type="checkbox" checked={interest} onChange={(e) => setInterest(e.target.checked)} />
          {t('integrations.shopifyInterest')}
        </label>
        <Field label={t('integrations.shopifyReward')} name="rewardPercent" type="number" min={1} max={100}
          hint={t('integrations.shopifyRewardHint')} value={reward} onChange={(e) => setReward(e.target.value)}
          error={errorOn(errors, 'reward_percent')} />
        <Field label={t('integrations.shopifyValidDays')} name="rewardValidDays" type="number" min={1} max={365} required
          value={validDays} onChange={(e) => setValidDays(e.target.value)} error={errorOn(errors, 'reward_valid_days')} />
        <button type="submit" disabled={saving}>{t('integrations.saveShopify')}</button>
      </form>
      {status}
    </section>
  );
}

/** A write-only secret: never shown back; left empty, the stored one is kept. */
function SecretField({ label, name, stored, value, onChange, error }: {
  label: string; name: string; stored: boolean; value: string; onChange: (value: string) => void;
  error?: string | null;
}) {
  const { t } = useTranslation();
  return <Field label={label} name={name} type="password" autoComplete="new-password" value={value}
    hint={stored ? t('integrations.secretStored') : t('integrations.secretWriteOnly')}
    onChange={(e) => onChange(e.target.value)} error={error} />;
}

export function VippsSection({ plugin, stores, onSaved }: {
  plugin: PluginState | undefined; stores: readonly Store[]; onSaved: () => void;
}) {
  const { t } = useTranslation();
  const config = (plugin?.config ?? {}) as Config;
  const [units, setUnits] = useState<Pair[]>(pairsOf(config.sales_units));
  const [clientId, setClientId] = useState(String(config.api_client_id ?? ''));
  const [clientSecret, setClientSecret] = useState('');
  const [subscriptionKey, setSubscriptionKey] = useState('');
  const [apiTest, setApiTest] = useState(Boolean(config.api_test));
  const [login, setLogin] = useState(Boolean(config.login_client_id));
  const [issuer, setIssuer] = useState(String(config.login_issuer ?? ''));
  const [loginClientId, setLoginClientId] = useState(String(config.login_client_id ?? ''));
  const [loginSecret, setLoginSecret] = useState('');
  const { save, errors, failed, saving, status } = usePluginSave('vipps', onSaved);
  const [disabling, disable] = useMutation(DisablePluginMutation);
  const [disableError, setDisableError] = useState<string | null>(null);
  if (!plugin) {
    return null;
  }
  const hasKeys = Boolean(config.api_client_id);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const wanted: Config = {
      ...withoutSecrets(plugin.config, plugin.secretFields),
      sales_units: mappingOf(units), api_test: apiTest,
      api_client_id: clientId.trim() || null,
      login_issuer: login ? issuer.trim() || null : null, login_client_id: login ? loginClientId.trim() || null : null,
    };
    // A secret is sent only when typed; left out, the stored one is kept. Turning a part off clears its secrets.
    if (!clientId.trim()) {
      wanted.api_client_secret = null;
      wanted.api_subscription_key = null;
    } else {
      if (clientSecret) wanted.api_client_secret = clientSecret;
      if (subscriptionKey) wanted.api_subscription_key = subscriptionKey;
    }
    if (!login) {
      wanted.login_client_secret = null;
    } else if (loginSecret) {
      wanted.login_client_secret = loginSecret;
    }
    void save(wanted).then(() => {
      setClientSecret('');
      setSubscriptionKey('');
      setLoginSecret('');
    });
  };
  const onDisable = async () => {
    const result = await disable({ name: 'vipps' });
    setDisableError(result.error ? t('state.error') : firstError(result.data?.disablePlugin.errors));
    onSaved();
  };
  const fields = ['sales_units', 'api_client_id', 'api_client_secret', 'api_subscription_key', 'login_issuer',
    'login_client_id', 'login_client_secret'];
  return (
    <section className="card wide" aria-labelledby="vipps-title">
      <h2 id="vipps-title">{t('integrations.vippsTitle')}</h2>
      <p>{t('integrations.vippsIntro')}</p>
      <p className="hint">{plugin.enabled ? t('integrations.pluginOn') : t('integrations.pluginOff')}</p>
      <form onSubmit={onSubmit} aria-labelledby="vipps-settings">
        <h3 id="vipps-settings">{t('integrations.settings')}</h3>
        <ErrorList errors={generalErrors(errors, fields)} failed={failed} />
        <MappingRows legend={t('integrations.vippsSalesUnits')} keyLabel={t('integrations.vippsMsn')}
          keyPattern="[0-9]{4,10}" pairs={units} stores={stores} onChange={setUnits}
          error={errorOn(errors, 'sales_units')} />
        <fieldset className="choices">
          <legend>{t('integrations.vippsApiKeys')}</legend>
          <p className="hint">{t('integrations.vippsApiKeysHint')}</p>
          <Field label={t('integrations.vippsClientId')} name="vippsClientId" value={clientId} autoComplete="off"
            onChange={(e) => setClientId(e.target.value)} error={errorOn(errors, 'api_client_id')} />
          <SecretField label={t('integrations.vippsClientSecret')} name="vippsClientSecret" stored={hasKeys}
            value={clientSecret} onChange={setClientSecret} error={errorOn(errors, 'api_client_secret')} />
          <SecretField label={t('integrations.vippsSubscriptionKey')} name="vippsSubscriptionKey" stored={hasKeys}
            value={subscriptionKey} onChange={setSubscriptionKey} error={errorOn(errors, 'api_subscription_key')} />
          <label className="choice">
            <input type="checkbox" checked={apiTest} onChange={(e) => setApiTest(e.target.checked)} />
            {t('integrations.vippsTest')}
          </label>
        </fieldset>
        <fieldset className="choices">
          <legend>{t('integrations.vippsLogin')}</legend>
          <label className="choice">
            <input type="checkbox" checked={login} onChange={(e) => setLogin(e.target.checked)} />
            {t('integrations.vippsLoginOn')}
          </label>
          {login && (
            <>
              <Field label={t('integrations.vippsIssuer')} name="vippsIssuer" type="url" required value={issuer}
                hint={t('integrations.vippsIssuerHint')} onChange={(e) => setIssuer(e.target.value)}
                error={errorOn(errors, 'login_issuer')} />
              <Field label={t('integrations.vippsLoginClientId')} name="vippsLoginClientId" required
                value={loginClientId} autoComplete="off" onChange={(e) => setLoginClientId(e.target.value)}
                error={errorOn(errors, 'login_client_id')} />
              <SecretField label={t('integrations.vippsLoginSecret')} name="vippsLoginSecret"
                stored={Boolean(config.login_client_id)} value={loginSecret} onChange={setLoginSecret}
                error={errorOn(errors, 'login_client_secret')} />
            </>
          )}
        </fieldset>
        <button type="submit" disabled={saving}>{t('integrations.saveVipps')}</button>
      </form>
      {status}
      {plugin.enabled && !plugin.alwaysOnReason && (
        <>
          {disableError && <ErrorNotice message={disableError} />}
          <ConfirmAction label={t('integrations.vippsOff')} question={t('integrations.confirmVippsOff')}
            confirmLabel={t('integrations.yesOff')} disabled={disabling.fetching} onConfirm={onDisable}>
            <p>{t('integrations.vippsOffDetail')}</p>
          </ConfirmAction>
        </>
      )}
    </section>
  );
}

/** A read-only value to copy, with a copy button and what became of the copy. */
export function CopyValue({ label, value, name }: { label: string; value: string; name: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div>
      <div className="inline-form">
        <Field label={label} name={name} readOnly value={value} spellCheck={false} autoComplete="off"
          onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy}>{t('integrations.copy')} <span className="visually-hidden">{label}</span></button>
      </div>
      <p role="status" className={copied === false ? 'field-error' : 'hint'}>
        {copied === true ? t('integrations.copied') : copied === false ? t('integrations.copyFailed') : ''}
      </p>
    </div>
  );
}

export function SsoSection({ role }: { role: Role | null }) {
  const { t } = useTranslation();
  if (role !== 'OWNER') {
    return (
      <section className="card wide" aria-labelledby="sso-title">
        <h2 id="sso-title">{t('integrations.ssoTitle')}</h2>
        <Empty><p>{t('integrations.ssoOwnersOnly')}</p></Empty>
      </section>
    );
  }
  return <SsoSettings />;
}

function SsoSettings() {
  const { t } = useTranslation();
  const when = useWhen();
  const [{ data, fetching, error }, refetch] = useQuery({ query: SsoConfigurationQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const sso = data?.ssoConfiguration ?? null;
  return (
    <section className="card wide" aria-labelledby="sso-title">
      <h2 id="sso-title">{t('integrations.ssoTitle')}</h2>
      <p>{t('integrations.ssoIntro')}</p>
      {fetching && !data ? <Loading /> : error && !data ? <ErrorNotice onRetry={reload} /> : (
        <>
          {sso ? (
            <>
              <p>{t('integrations.ssoOn', { issuer: sso.issuer, date: when(sso.updatedAt) })}</p>
              <CopyValue label={t('integrations.ssoLoginUrl')} name="ssoLoginUrl" value={sso.loginUrl} />
              <CopyValue label={t('integrations.ssoRedirectUri')} name="ssoRedirectUri" value={sso.redirectUri} />
            </>
          ) : <Empty><p>{t('integrations.ssoNone')}</p></Empty>}
          <SsoForm key={sso?.updatedAt ?? 'new'} current={sso} onSaved={reload} />
          {sso && <DisableSso onDone={reload} />}
        </>
      )}
    </section>
  );
}

type Sso = { issuer: string; clientId: string; clientSecretFingerprint: string; allowedEmailDomains: string[];
  defaultRole: Role; ssoOnly: boolean };

/** The domains typed in one box, split on commas, spaces or lines. */
export function domainsOf(text: string): string[] {
  return text.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean);
}

function SsoForm({ current, onSaved }: { current: Sso | null; onSaved: () => void }) {
  const { t } = useTranslation();
  const [issuer, setIssuer] = useState(current?.issuer ?? '');
  const [clientId, setClientId] = useState(current?.clientId ?? '');
  const [secret, setSecret] = useState('');
  const [domains, setDomains] = useState((current?.allowedEmailDomains ?? []).join(', '));
  const [defaultRole, setDefaultRole] = useState<Role>(current?.defaultRole ?? 'ANALYST');
  const [ssoOnly, setSsoOnly] = useState(current?.ssoOnly ?? false);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, configure] = useMutation(ConfigureSsoMutation);
  const roleId = useId();
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await configure({ input: {
      issuer: issuer.trim(), clientId: clientId.trim(), clientSecret: secret || null,
      allowedEmailDomains: domainsOf(domains), defaultRole, ssoOnly,
    } });
    const payload = result.data?.configureSso;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.ssoConfiguration) {
      setSecret('');
      onSaved();
    }
  };
  const fields = ['issuer', 'clientId', 'clientSecret', 'allowedEmailDomains', 'defaultRole'];
  return (
    <form onSubmit={onSubmit} aria-labelledby="sso-form">
      <h3 id="sso-form">{current ? t('integrations.ssoChange') : t('integrations.ssoSetUp')}</h3>
      <ErrorList errors={generalErrors(errors, fields)} failed={failed} />
      <Field label={t('integrations.ssoIssuer')} name="ssoIssuer" type="url" required value={issuer}
        hint={t('integrations.ssoIssuerHint')} onChange={(e) => setIssuer(e.target.value)} error={errorOn(errors, 'issuer')} />
      <Field label={t('integrations.ssoClientId')} name="ssoClientId" required value={clientId} autoComplete="off"
        onChange={(e) => setClientId(e.target.value)} error={errorOn(errors, 'clientId')} />
      <Field label={t('integrations.ssoClientSecret')} name="ssoClientSecret" type="password" autoComplete="new-password"
        required={!current} value={secret} onChange={(e) => setSecret(e.target.value)} error={errorOn(errors, 'clientSecret')}
        hint={current ? t('integrations.ssoSecretKept', { fingerprint: current.clientSecretFingerprint })
          : t('integrations.secretWriteOnly')} />
      <Field label={t('integrations.ssoDomains')} name="ssoDomains" required value={domains}
        hint={t('integrations.ssoDomainsHint')} onChange={(e) => setDomains(e.target.value)}
        error={errorOn(errors, 'allowedEmailDomains')} />
      <div className="field">
        <label htmlFor={roleId}>{t('integrations.ssoDefaultRole')}</label>
        <select id={roleId} value={defaultRole} onChange={(e) => setDefaultRole(e.target.value as Role)}>
          <option value="ANALYST">{t('integrations.roleAnalyst')}</option>
          <option value="ADMIN">{t('integrations.roleAdmin')}</option>
        </select>
      </div>
      <label className="choice">
        <input type="checkbox" checked={ssoOnly} onChange={(e) => setSsoOnly(e.target.checked)} />
        {t('integrations.ssoOnly')}
      </label>
      <button type="submit" disabled={state.fetching}>{t('integrations.saveSso')}</button>
    </form>
  );
}

function DisableSso({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [, disable] = useMutation(DisableSsoMutation);
  const [problem, setProblem] = useState<string | null>(null);
  const onConfirm = async () => {
    const result = await disable({});
    setProblem(result.error ? t('state.error') : firstError(result.data?.disableSso.errors));
    onDone();
  };
  return (
    <>
      {problem && <ErrorNotice message={problem} />}
      <ConfirmAction label={t('integrations.ssoDisable')} question={t('integrations.confirmSsoDisable')}
        confirmLabel={t('integrations.yesDisable')} onConfirm={onConfirm}>
        <p>{t('integrations.ssoDisableDetail')}</p>
      </ConfirmAction>
    </>
  );
}

/** A signing secret just made or rotated: shown this once, focused, with a copy button. */
function OnceSecret({ title, secret, onHide }: { title: string; secret: string; onHide: () => void }) {
  const { t } = useTranslation();
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.querySelector('input')?.focus();
  }, [secret]);
  return (
    <section className="card secret" aria-labelledby="webhook-secret-title" ref={panel}>
      <h3 id="webhook-secret-title">{title}</h3>
      <p className="warning"><strong>{t('integrations.secretOnce')}</strong></p>
      <CopyValue label={t('integrations.signingSecret')} name="webhookSecret" value={secret} />
      <button type="button" className="secondary" onClick={onHide}>{t('integrations.secretStoredButton')}</button>
    </section>
  );
}

function CreateEndpoint({ onCreated }: { onCreated: (url: string, secret: string) => void }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['RESPONSE_CREATED']);
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [state, create] = useMutation(CreateWebhookEndpointMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await create({ input: { url: url.trim(), events, description: description.trim() } });
    const payload = result.data?.createWebhookEndpoint;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.endpoint && payload.secret) {
      onCreated(payload.endpoint.url, payload.secret);
      setUrl('');
      setDescription('');
    }
  };
  const toggle = (name: WebhookEventType, on: boolean) =>
    setEvents((now) => (on ? [...now, name] : now.filter((e) => e !== name)));
  return (
    <form onSubmit={onSubmit} aria-labelledby="webhook-new">
      <h3 id="webhook-new">{t('integrations.webhookAdd')}</h3>
      <ErrorList errors={generalErrors(errors, ['url', 'events', 'description'])} failed={failed} />
      <Field label={t('integrations.webhookUrl')} name="webhookUrl" type="url" required value={url}
        hint={t('integrations.webhookUrlHint')} onChange={(e) => setUrl(e.target.value)} error={errorOn(errors, 'url')} />
      <Field label={t('integrations.webhookDescription')} name="webhookDescription" value={description} maxLength={200}
        onChange={(e) => setDescription(e.target.value)} error={errorOn(errors, 'description')} />
      <fieldset className="choices">
        <legend>{t('integrations.webhookEvents')}</legend>
        {WEBHOOK_EVENTS.map((name) => (
          <label className="choice" key={name}>
            <input type="checkbox" checked={events.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
            {t(`integrations.event_${name}`)}
          </label>
        ))}
        {errorOn(errors, 'events') && <p className="field-error">{errorOn(errors, 'events')}</p>}
      </fieldset>
      <button type="submit" disabled={state.fetching || events.length === 0}>{t('integrations.webhookCreate')}</button>
    </form>
  );
}

function Attempts({ attempts }: { attempts: readonly { number: number; at: string; responseCode?: number | null;
  responseExcerpt: string; error?: string | null; succeeded: boolean }[] }) {
  const { t } = useTranslation();
  const when = useWhen();
  return (
    <ol>
      {attempts.map((a) => (
        <li key={a.number}>
          {t('integrations.attemptLine', { number: a.number, date: when(a.at) })}{' '}
          {a.succeeded ? t('integrations.attemptOk') : t('integrations.attemptFailed')}
          {a.responseCode != null && <> · HTTP {a.responseCode}</>}
          {a.error && <> · {a.error}</>}
          {a.responseExcerpt && <pre className="payload">{a.responseExcerpt}</pre>}
        </li>
      ))}
    </ol>
  );
}

export function DeliveryLog({ endpointId }: { endpointId: string }) {
  const { t } = useTranslation();
  const when = useWhen();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhookDeliveriesQuery, variables: { endpoint: endpointId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const [, redeliver] = useMutation(RedeliverWebhookMutation);
  const [problem, setProblem] = useState<string | null>(null);
  const [resent, setResent] = useState(false);
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={reload} />;
  }
  const deliveries = data?.webhookDeliveries ?? [];
  const onRedeliver = async (id: string) => {
    setResent(false);
    const result = await redeliver({ delivery: id });
    const message = result.error ? t('state.error') : firstError(result.data?.redeliverWebhook.errors);
    setProblem(message);
    setResent(!message);
    reload();
  };
  return (
    <div>
      {problem && <ErrorNotice message={problem} />}
      {deliveries.length === 0 ? <Empty><p>{t('integrations.deliveriesEmpty')}</p></Empty> : (
        <table>
          <caption className="visually-hidden">{t('integrations.deliveries')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('integrations.deliveryEvent')}</th><th scope="col">{t('integrations.deliveryStatus')}</th>
              <th scope="col">{t('integrations.deliveryAttempts')}</th><th scope="col">{t('integrations.deliveryCreated')}</th>
              <th scope="col"><span className="visually-hidden">{t('integrations.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>{t(`integrations.event_${d.eventType}`)} <code className="hint">{d.eventId}</code></td>
                <td>
                  {t(`integrations.status_${d.status}`)}
                  {d.nextRetryAt && <span className="hint"> {t('integrations.nextRetry', { date: when(d.nextRetryAt) })}</span>}
                </td>
                <td>
                  <details>
                    <summary>{t('integrations.attemptCount', { count: d.attempts })}</summary>
                    <Attempts attempts={d.attemptLog} />
                  </details>
                </td>
                <td>{when(d.createdAt)}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => onRedeliver(d.id)}>
                    {t('integrations.redeliver')} <span className="visually-hidden">{d.eventId}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p role="status" className="hint">{resent ? t('integrations.redelivered') : ''}</p>
    </div>
  );
}

type Endpoint = { id: string; url: string; description: string; events: WebhookEventType[]; enabled: boolean;
  secretFingerprint: string; oldSecretSignsUntil?: string | null };

function EndpointRow({ endpoint, onChanged, onSecret }: {
  endpoint: Endpoint; onChanged: () => void; onSecret: (url: string, secret: string) => void;
}) {
  const { t } = useTranslation();
  const when = useWhen();
  const [, update] = useMutation(UpdateWebhookEndpointMutation);
  const [, rotate] = useMutation(RotateWebhookSecretMutation);
  const [, remove] = useMutation(DeleteWebhookEndpointMutation);
  const [problem, setProblem] = useState<string | null>(null);
  const [keepOld, setKeepOld] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const logId = useId();
  const outcome = (error: unknown, errors: Errors | undefined) => {
    setProblem(error ? t('state.error') : firstError(errors));
    onChanged();
  };
  const onToggle = async () => {
    const result = await update({ input: { id: endpoint.id, enabled: !endpoint.enabled } });
    outcome(result.error, result.data?.updateWebhookEndpoint.errors);
  };
  const onRotate = async () => {
    const result = await rotate({ id: endpoint.id, keepOldHours: keepOld ? 24 : 0 });
    const secret = result.data?.rotateWebhookSecret.secret;
    outcome(result.error, result.data?.rotateWebhookSecret.errors);
    if (secret) {
      onSecret(endpoint.url, secret);
    }
  };
  const onDelete = async () => {
    const result = await remove({ id: endpoint.id });
    outcome(result.error, result.data?.deleteWebhookEndpoint.errors);
  };
  return (
    <li className="card">
      <h4><code>{endpoint.url}</code></h4>
      {endpoint.description && <p>{endpoint.description}</p>}
      <p className="hint">
        {endpoint.enabled ? t('integrations.webhookOn') : t('integrations.webhookOff')} ·{' '}
        {endpoint.events.map((e) => t(`integrations.event_${e}`)).join(', ')} ·{' '}
        {t('integrations.fingerprint', { fingerprint: endpoint.secretFingerprint })}
        {endpoint.oldSecretSignsUntil && <> · {t('integrations.oldSecretUntil', { date: when(endpoint.oldSecretSignsUntil) })}</>}
      </p>
      {problem && <ErrorNotice message={problem} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onToggle}>
          {endpoint.enabled ? t('integrations.webhookDisable') : t('integrations.webhookEnable')}{' '}
          <span className="visually-hidden">{endpoint.url}</span>
        </button>
        <ConfirmAction label={t('integrations.rotate')} target={endpoint.url}
          question={t('integrations.confirmRotate', { url: endpoint.url })} confirmLabel={t('integrations.yesRotate')}
          onConfirm={onRotate}>
          <p>{t('integrations.rotateDetail')}</p>
          <label className="choice">
            <input type="checkbox" checked={keepOld} onChange={(e) => setKeepOld(e.target.checked)} />
            {t('integrations.keepOld')}
          </label>
        </ConfirmAction>
        <ConfirmAction label={t('integrations.delete')} target={endpoint.url}
          question={t('integrations.confirmDelete', { url: endpoint.url })} confirmLabel={t('integrations.yesDelete')}
          onConfirm={onDelete}>
          <p>{t('integrations.deleteDetail')}</p>
        </ConfirmAction>
        <button type="button" className="secondary" aria-expanded={showLog} aria-controls={logId}
          onClick={() => setShowLog((v) => !v)}>
          {t('integrations.deliveries')} <span className="visually-hidden">{endpoint.url}</span>
        </button>
      </div>
      <div id={logId}>{showLog && <DeliveryLog endpointId={endpoint.id} />}</div>
    </li>
  );
}

export function WebhooksSection() {
  const { t } = useTranslation();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhookEndpointsQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const shown = (url: string, value: string) => {
    setSecret({ url, secret: value });
    reload();
  };
  let body: ReactNode;
  if (fetching && !data) {
    body = <Loading />;
  } else if (error && !data) {
    body = <ErrorNotice onRetry={reload} />;
  } else {
    const endpoints = data?.webhookEndpoints ?? [];
    body = endpoints.length === 0 ? <Empty><p>{t('integrations.webhooksEmpty')}</p></Empty> : (
      <ul className="plain-list" aria-label={t('integrations.webhookList')}>
        {endpoints.map((e) => <EndpointRow key={e.id} endpoint={e} onChanged={reload} onSecret={shown} />)}
      </ul>
    );
  }
  return (
    <section className="card wide" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">{t('integrations.webhooksTitle')}</h2>
      <p>{t('integrations.webhooksIntro')}</p>
      {secret && <OnceSecret title={t('integrations.secretTitle', { url: secret.url })} secret={secret.secret}
        onHide={() => setSecret(null)} />}
      {body}
      <CreateEndpoint onCreated={shown} />
    </section>
  );
}

function Integrations() {
  const { t } = useTranslation();
  const role = useTenantRole();
  const [{ data, fetching, error }, refetch] = useQuery({ query: IntegrationPluginsQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  let plugins: ReactNode;
  if (fetching && !data) {
    plugins = <Loading />;
  } else if (error && !data) {
    plugins = <ErrorNotice onRetry={reload} />;
  } else {
    const stores = data?.stores.edges.map((e) => e.node) ?? [];
    const byName = (name: string) => data?.plugins.find((p) => p.name === name);
    plugins = (
      <>
        {!byName('shopify') && !byName('vipps') && <Empty><p>{t('integrations.noPlugins')}</p></Empty>}
        <ShopifySection plugin={byName('shopify')} stores={stores} shops={data?.shopifyShops ?? []} onSaved={reload} />
        <VippsSection plugin={byName('vipps')} stores={stores} onSaved={reload} />
      </>
    );
  }
  return (
    <>
      <p>{t('integrations.intro')}</p>
      <div className="grid">
        {plugins}
        <SsoSection role={role} />
        <WebhooksSection />
      </div>
    </>
  );
}

/** Connecting Shopify and Vipps MobilePay, single sign-on and webhooks for integrators (owners and admins). */
export function IntegrationsPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('integrations.title')}>
      <AdminOnly message={t('integrations.adminOnly')}><Integrations /></AdminOnly>
    </Layout>
  );
}
