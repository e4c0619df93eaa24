import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { LiveCounter } from '../components/LiveCounter';
import { PosterCard, type PosterCode } from '../components/PosterCard';
import { WeeklyReports } from '../components/WeeklyReports';
import { ErrorNotice, Loading } from '../components/States';
import { CreateSurveyCodeMutation, CreateZoneMutation, StoreQuery } from '../graphql/operations';
import { useSession } from '../session';

type Errors = readonly { code: string; message: string; field?: string | null }[];

/** The form that adds a zone to a store (the store page and the onboarding's first step). */
export function AddZone({ storeId, onAdded }: { storeId: string; onAdded: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [state, createZone] = useMutation(CreateZoneMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await createZone({ input: { storeId, name } });
    setErrors(result.data?.createZone.errors ?? []);
    if (result.data?.createZone.zone) {
      setName('');
      onAdded();
    }
  };
  return (
    <form className="inline-form" onSubmit={onSubmit}>
      <Field label={t('store.zoneName')} name="zoneName" required value={name} error={errorOn(errors, 'name')}
        onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={state.fetching}>{t('store.addZone')}</button>
    </form>
  );
}

function Poster({ storeId, tenantSlug, code, onMade }: {
  storeId: string; tenantSlug: string; onMade: () => void; code?: PosterCode;
}) {
  const { t } = useTranslation();
  const [state, createCode] = useMutation(CreateSurveyCodeMutation);
  const [message, setMessage] = useState<string | null>(null);
  const make = async () => {
    const result = await createCode({ storeId });
    const errors = result.data?.createSurveyCode.errors ?? [];
    setMessage(result.error ? t('state.error') : errors[0]?.message ?? null);
    if (result.data?.createSurveyCode.surveyCode) {
      onMade();
    }
  };
  return (
    <>
      {message && <ErrorNotice message={message} />}
      <PosterCard code={code} tenantSlug={tenantSlug} emptyText={t('store.noCode')} onMake={make}
        making={state.fetching} showLink />
    </>
  );
}

/** One store: its zones, its QR poster and the live count of today's responses. */
export function StorePage() {
  const { t } = useTranslation();
  const { storeId = '' } = useParams();
  const { tenantSlug } = useSession();
  const [{ data, fetching, error }, refetch] = useQuery({ query: StoreQuery, variables: { id: storeId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) {
    return <Layout title={t('store.title')}><Loading /></Layout>;
  }
  if (error && !data) {
    return <Layout title={t('store.title')}><ErrorNotice onRetry={reload} /></Layout>;
  }
  const store = data?.store;
  if (!store) {
    return <Layout title={t('store.title')}><ErrorNotice message={t('store.notFound')} /></Layout>;
  }
  const code = data?.surveyCodes.find((c) => !c.zoneId) ?? data?.surveyCodes[0];
  return (
    <Layout title={store.name}>
      <p><Link to={`/portal/stores/${encodeURIComponent(store.id)}/dashboard`} className="button">{t('store.dashboard')}</Link></p>
      <div className="grid">
        <LiveCounter storeId={store.id} tenantSlug={tenantSlug} />
        <Poster storeId={store.id} tenantSlug={tenantSlug} code={code} onMade={reload} />
        <WeeklyReports storeId={store.id} tenantSlug={tenantSlug} />
        <section className="card" aria-labelledby="zones-title">
          <h2 id="zones-title">{t('store.zones')}</h2>
          {store.zones.length === 0 ? <p>{t('store.noZones')}</p> : (
            <ul>{store.zones.map((zone) => <li key={zone.id}>{zone.name}</li>)}</ul>
          )}
          <AddZone storeId={store.id} onAdded={reload} />
        </section>
      </div>
    </Layout>
  );
}
