import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { CreateStoreMutation, CreateZoneMutation, StoresQuery } from '../graphql/operations';
import { slugFrom } from './Signup';

type Errors = readonly { code: string; message: string; field?: string | null }[];

/** Zone names from a comma- or line-separated list, trimmed, without blanks or repeats. */
export function zoneNames(text: string): string[] {
  const seen = new Set<string>();
  return text.split(/[,\n]/).map((name) => name.trim()).filter((name) => {
    const key = name.toLowerCase();
    if (!name || seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** "Create a store" with its zones (also the onboarding's first step). */
export function CreateStore({ onCreated }: { onCreated: (id: string) => void }) {
  const { t, i18n } = useTranslation();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [zones, setZones] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [storeState, createStore] = useMutation(CreateStoreMutation);
  const [zoneState, createZone] = useMutation(CreateZoneMutation);
  const busy = storeState.fetching || zoneState.fetching;
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/Copenhagen';
    const result = await createStore({ input: { name, slug: slugFrom(name), address, timezone,
      defaultLanguage: i18n.language } });
    const payload = result.data?.createStore;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (!payload.store) {
      return;
    }
    for (const zone of zoneNames(zones)) {
      const made = await createZone({ input: { storeId: payload.store.id, name: zone } });
      if (made.error || made.data?.createZone.errors.length) {
        setErrors(made.data?.createZone.errors ?? []);
        setFailed(Boolean(made.error));
        return;
      }
    }
    onCreated(payload.store.id);
  };
  const general = errors.find((e) => e.field !== 'name' && !(e.field ?? '').endsWith('name'));
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="create-store">
      <h2 id="create-store">{t('stores.create')}</h2>
      {failed && <ErrorNotice />}
      {general && <ErrorNotice message={general.message} />}
      <Field label={t('field.storeName')} name="storeName" required value={name} error={errorOn(errors, 'name')}
        onChange={(e) => setName(e.target.value)} />
      <Field label={t('field.address')} name="address" value={address} onChange={(e) => setAddress(e.target.value)} />
      <Field label={t('field.zones')} name="zones" hint={t('stores.zonesHint')} value={zones}
        onChange={(e) => setZones(e.target.value)} />
      <button type="submit" disabled={busy}>{t('stores.submit')}</button>
    </form>
  );
}

/** The stores of the tenant, with "create a store" (and its zones). */
export function StoresPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [{ data, fetching, error }, refetch] = useQuery({ query: StoresQuery });
  const stores = data?.stores.edges.map((edge) => edge.node) ?? [];
  return (
    <Layout title={t('stores.title')}>
      {fetching && !data && <Loading />}
      {error && !data && <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
      {data && stores.length === 0 && (
        <Empty><p>{t('stores.empty')}</p><p><Link to="/portal/welcome" className="button">{t('welcome.start')}</Link></p></Empty>
      )}
      {stores.length > 0 && (
        <ul className="store-list">
          {stores.map((store) => (
            <li key={store.id} className="card">
              <h2><Link to={`/portal/stores/${encodeURIComponent(store.id)}`}>{store.name}</Link></h2>
              {store.address && <p>{store.address}</p>}
              <p>{t('stores.zoneCount', { count: store.zones.length })}</p>
              <p><Link to={`/portal/stores/${encodeURIComponent(store.id)}/dashboard`}>{t('stores.dashboard')}</Link></p>
            </li>
          ))}
        </ul>
      )}
      <CreateStore onCreated={(id) => navigate(`/portal/stores/${encodeURIComponent(id)}`)} />
    </Layout>
  );
}
