// The onboarding of a new retailer (/portal/welcome): a store and its zones → the survey's statements and language
// with the preview → the QR poster and the NFC payload → the first response, live. The step and store are in the
// address (?store=…&step=…), and what is done is read from the API (the store, its QR code) or remembered in this
// browser (the survey step, which changes nothing when the defaults are kept): leaving and coming back resumes.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { AdminOnly } from '../components/AdminOnly';
import { Layout } from '../components/Layout';
import { PosterCard } from '../components/PosterCard';
import { ErrorNotice, Loading } from '../components/States';
import { samePath } from '../downloads';
import { CreateSurveyCodeMutation } from '../graphql/operations';
import {
  SetStoreLanguageMutation, WelcomeChannelsQuery, WelcomeNfcTagMutation, WelcomeStoresQuery,
} from '../graphql/survey';
import { LANGUAGE_NAMES, LANGUAGES } from '../i18n';
import { useLiveCount } from '../live';
import { useSession } from '../session';
import { AddZone } from './Store';
import { CreateStore } from './Stores';
import { SurveyChoice } from './SurveyEditor';

export const STEPS = ['store', 'survey', 'poster', 'live'] as const;

const surveyKey = (tenantSlug: string, storeId: string) => `pejling.welcome.survey:${tenantSlug}:${storeId}`;

/** True when the survey step was finished for this store in this browser. */
export function surveyStepDone(tenantSlug: string, storeId: string): boolean {
  try {
    return localStorage.getItem(surveyKey(tenantSlug, storeId)) === '1';
  } catch {
    return false;
  }
}

function markSurveyStep(tenantSlug: string, storeId: string): void {
  try {
    localStorage.setItem(surveyKey(tenantSlug, storeId), '1');
  } catch {
    // private mode: the step is offered again next time, nothing is lost
  }
}

/** The step to show (1–4): the one asked for when every step before it is done, else the first not done. */
export function stepToShow(done: readonly boolean[], asked: number | null): number {
  const firstOpen = done.indexOf(false) === -1 ? done.length : done.indexOf(false) + 1;
  if (asked && asked >= 1 && asked <= firstOpen) {
    return asked;
  }
  return firstOpen;
}

function Progress({ step, done, reachable, onGo }: {
  step: number; done: readonly boolean[]; reachable: number; onGo: (n: number) => void;
}) {
  const { t } = useTranslation();
  return (
    <nav aria-label={t('welcome.progress')}>
      <ol className="steps">
        {STEPS.map((name, index) => {
          const n = index + 1;
          const label = `${t('welcome.stepN', { n, count: STEPS.length })}: ${t(`welcome.${name}.title`)}`;
          const state = done[index] ? t('welcome.stepDone') : '';
          return (
            <li key={name} className={n === step ? 'current' : done[index] ? 'done' : ''}>
              <button type="button" className="link-button" disabled={n > reachable} onClick={() => onGo(n)}
                aria-current={n === step ? 'step' : undefined}>
                {label}{state && <span className="step-state"> ({state})</span>}
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

function StoreLanguage({ storeId, language, onChanged }: { storeId: string; language: string; onChanged: () => void }) {
  const { t } = useTranslation();
  const [state, setLanguage] = useMutation(SetStoreLanguageMutation);
  const [message, setMessage] = useState<string | null>(null);
  const onChange = async (value: string) => {
    const result = await setLanguage({ id: storeId, language: value });
    const errors = result.data?.updateStore.errors ?? [];
    setMessage(result.error ? t('state.error') : errors[0]?.message ?? null);
    if (result.data?.updateStore.store) {
      onChanged();
    }
  };
  return (
    <section className="card" aria-labelledby="language-title">
      <h2 id="language-title">{t('welcome.survey.languageTitle')}</h2>
      <p className="hint">{t('welcome.survey.languageIntro')}</p>
      {message && <ErrorNotice message={message} />}
      <label className="field">
        <span>{t('welcome.survey.language')}</span>
        <select value={language} disabled={state.fetching} onChange={(event) => onChange(event.target.value)}>
          {LANGUAGES.map((code) => <option key={code} value={code} lang={code}>{LANGUAGE_NAMES[code]}</option>)}
        </select>
      </label>
    </section>
  );
}

type Channels = ReturnType<typeof useChannels>;

/** The store's QR codes and NFC tags (the poster step and whether it is done). */
function useChannels(storeId: string | undefined) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WelcomeChannelsQuery,
    variables: { storeId: storeId ?? '' }, pause: !storeId });
  const code = data?.surveyCodes.find((c) => !c.zoneId) ?? data?.surveyCodes[0];
  return { data, fetching, error, code, tag: data?.nfcTags[0], reload: () => refetch({ requestPolicy: 'network-only' }) };
}

function PosterStep({ storeId, storeName, tenantSlug, channels, onNext }: {
  storeId: string; storeName: string; tenantSlug: string; channels: Channels; onNext: () => void;
}) {
  const { t } = useTranslation();
  const { data, fetching, error, code, tag, reload } = channels;
  const [codeState, createCode] = useMutation(CreateSurveyCodeMutation);
  const [tagState, registerTag] = useMutation(WelcomeNfcTagMutation);
  const [message, setMessage] = useState<string | null>(null);
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={reload} />;
  }
  const makeCode = async () => {
    const result = await createCode({ storeId });
    setMessage(result.error ? t('state.error') : result.data?.createSurveyCode.errors[0]?.message ?? null);
    if (result.data?.createSurveyCode.surveyCode) {
      reload();
    }
  };
  const makeTag = async () => {
    const result = await registerTag({ storeId, label: t('welcome.poster.tagLabel', { store: storeName }) });
    setMessage(result.error ? t('state.error') : result.data?.registerNfcTag.errors[0]?.message ?? null);
    if (result.data?.registerNfcTag.tag) {
      reload();
    }
  };
  return (
    <>
      {message && <ErrorNotice message={message} />}
      <div className="grid">
        <PosterCard code={code} tenantSlug={tenantSlug} emptyText={t('welcome.poster.noCode')} onMake={makeCode}
          making={codeState.fetching} />
        <section className="card" aria-labelledby="nfc-title">
          <h2 id="nfc-title">{t('welcome.poster.nfcTitle')}</h2>
          <p className="hint">{t('welcome.poster.nfcIntro')}</p>
          {!tag ? (
            <button type="button" onClick={makeTag} disabled={tagState.fetching}>{t('welcome.poster.makeTag')}</button>
          ) : (
            <dl className="payload">
              <dt>{t('welcome.poster.nfcUrl')}</dt>
              <dd><code data-testid="nfc-url">{tag.url}</code></dd>
              <dt>{t('welcome.poster.nfcRecord')}</dt>
              <dd><code data-testid="nfc-record">{tag.ndefRecord}</code></dd>
            </dl>
          )}
        </section>
      </div>
      <p><button type="button" onClick={onNext} disabled={!code}>{t('welcome.next')}</button></p>
    </>
  );
}

function LiveStep({ storeId, tenantSlug, code }: { storeId: string; tenantSlug: string; code?: { url: string } }) {
  const { t } = useTranslation();
  const { count, status } = useLiveCount(storeId, tenantSlug);
  const store = `/portal/stores/${encodeURIComponent(storeId)}`;
  return (
    <section className="card live" aria-labelledby="live-title">
      <h2 id="live-title">{t('welcome.live.title')}</h2>
      <p className="live-count" aria-live="polite" data-testid="live-count" data-count={count ?? ''}>
        {count === null ? t('live.connecting') : t('live.count', { count })}
      </p>
      {status === 'reconnecting' && <p className="hint">{t('live.reconnecting')}</p>}
      {count !== null && count > 0 ? (
        <div role="status">
          <p>{t('welcome.live.arrived')}</p>
          <p><Link to={`${store}/dashboard`} className="button">{t('store.dashboard')}</Link> <Link to={store}>{t('welcome.live.store')}</Link></p>
        </div>
      ) : (
        <>
          <p>{t('welcome.live.waiting')}</p>
          {code && <p><a href={samePath(code.url)} target="_blank" rel="noopener" data-testid="survey-link">{t('welcome.live.tryIt')}</a></p>}
        </>
      )}
    </section>
  );
}

function Onboarding() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { tenantSlug } = useSession();
  const [params, setParams] = useSearchParams();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WelcomeStoresQuery });
  const storeParam = params.get('store');
  const stores = data?.stores.edges.map((edge) => edge.node) ?? [];
  const store = stores.find((s) => s.id === storeParam) ?? stores[0];
  const channels = useChannels(store?.id);
  const done = [Boolean(store), Boolean(store && surveyStepDone(tenantSlug, store.id)), Boolean(channels.code), false];
  const reachable = stepToShow(done, null);
  const step = stepToShow(done, Number(params.get('step')) || null);
  const go = (n: number, storeId = store?.id, replace = false) => {
    setParams(storeId ? { store: storeId, step: String(n) } : { step: String(n) }, { replace });
    if (!replace) {
      document.getElementById('main')?.focus();
    }
  };
  // The step opened is written into the address, so finishing it (e.g. making the QR code) does not skip ahead;
  // only once what is done is known (a store just made may not be in the list yet).
  const settled = Boolean(data) && !fetching && !channels.fetching && (!storeParam || store?.id === storeParam);
  const pinned = params.get('step') === String(step);
  useEffect(() => {
    if (settled && !pinned) {
      go(step, store?.id, true);
    }
  });
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  return (
    <>
      <p>{t('welcome.intro')}</p>
      <Progress step={step} done={done} reachable={reachable} onGo={(n) => go(n)} />
      <h2 className="step-title" data-testid="welcome-step">{t('welcome.stepN', { n: step, count: STEPS.length })}: {t(`welcome.${STEPS[step - 1]}.title`)}</h2>
      <p className="hint">{t(`welcome.${STEPS[step - 1]}.intro`)}</p>
      {step === 1 && !store && (
        <CreateStore onCreated={(id) => { go(2, id); refetch({ requestPolicy: 'network-only' }); }} />
      )}
      {step === 1 && store && (
        <>
          <section className="card" aria-labelledby="store-title">
            <h2 id="store-title">{store.name}</h2>
            {store.zones.length === 0 ? <p>{t('store.noZones')}</p> : (
              <ul>{store.zones.map((zone) => <li key={zone.id}>{zone.name}</li>)}</ul>
            )}
            <AddZone storeId={store.id} onAdded={() => refetch({ requestPolicy: 'network-only' })} />
          </section>
          <p><button type="button" onClick={() => go(2)}>{t('welcome.next')}</button></p>
        </>
      )}
      {step === 2 && store && (
        <>
          <StoreLanguage storeId={store.id} language={store.defaultLanguage}
            onChanged={() => refetch({ requestPolicy: 'network-only' })} />
          <SurveyChoice key={store.defaultLanguage} storeId={store.id} />
          <p><button type="button" onClick={() => { markSurveyStep(tenantSlug, store.id); go(3); }}>
            {t('welcome.next')}
          </button></p>
        </>
      )}
      {step === 3 && store && (
        <PosterStep storeId={store.id} storeName={store.name} tenantSlug={tenantSlug} channels={channels}
          onNext={() => go(4)} />
      )}
      {step === 4 && store && <LiveStep storeId={store.id} tenantSlug={tenantSlug} code={channels.code} />}
      {step === 4 && <p><button type="button" className="link-button" onClick={() => navigate('/portal')}>{t('welcome.finish')}</button></p>}
    </>
  );
}

export function WelcomePage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('welcome.title')}>
      <AdminOnly message={t('welcome.adminOnly')}>
        <Onboarding />
      </AdminOnly>
    </Layout>
  );
}
