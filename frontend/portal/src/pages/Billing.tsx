import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { AdminOnly } from '../components/AdminOnly';
import { Layout } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/States';
import { locale } from '../format';
import type { BillingQuery as BillingData } from '../gql/graphql';
import { BillingQuery, OpenBillingPortalMutation, StartCheckoutMutation } from '../graphql/billing';

type Billing = BillingData['billing'];
type Plan = Billing['plans'][number];
type Payload = { url?: string | null; errors: readonly { message: string }[] } | undefined;

/** A plan's price per store per month in its currency ("€49.00"), from the currency's smallest unit. */
export function formatPrice(smallestUnit: number, currency: string, language: string): string {
  const money = new Intl.NumberFormat(locale(language), { style: 'currency', currency: currency.toUpperCase() });
  const digits = money.resolvedOptions().maximumFractionDigits ?? 2;
  return money.format(smallestUnit / 10 ** digits);
}

/** True when the tenant has a subscription in Stripe (so a customer there): only then the billing portal opens. */
export function hasSubscription(billing: Pick<Billing, 'configured' | 'state' | 'stripeStatus'>): boolean {
  return billing.configured && (Boolean(billing.stripeStatus) || billing.state !== 'PILOT');
}

/** One thing used against the plan's limit: "3 of 5" with a bar, or "3 (no limit)". */
function Usage({ id, label, used, limit }: { id: string; label: string; used: number; limit: number | null | undefined }) {
  const { t } = useTranslation();
  const limited = limit !== null && limit !== undefined;
  const text = limited ? t('billing.usedOf', { used, limit }) : t('billing.usedUnlimited', { used });
  const percent = limited && limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  return (
    <div className="usage" data-testid={`usage-${id}`}>
      <p className="usage-line"><span id={`usage-${id}-label`}>{label}</span> <strong>{text}</strong></p>
      {limited && (
        <div role="meter" className={`progress${used > limit ? ' progress-over' : ''}`}
          aria-labelledby={`usage-${id}-label`} aria-valuemin={0} aria-valuemax={limit}
          aria-valuenow={Math.min(used, limit)} aria-valuetext={text}>
          <span className="progress-done" style={{ width: `${percent}%` }} />
        </div>
      )}
    </div>
  );
}

function limitText(t: (key: string, options?: Record<string, unknown>) => string, what: string,
  limit: number | null | undefined, language: string): string {
  return limit === null || limit === undefined ? t(`billing.unlimited_${what}`)
    : t(`billing.limit_${what}`, { count: limit, formatted: limit.toLocaleString(locale(language)) });
}

function Plans({ billing }: { billing: Billing }) {
  const { t, i18n } = useTranslation();
  const [state, checkout] = useMutation(StartCheckoutMutation);
  const [chosen, setChosen] = useState<string | null>(null);
  const [message, onError] = useState<string | null>(null);
  const onChoose = async (plan: Plan) => {
    onError(null);
    setChosen(plan.key);
    const result = await checkout({ plan: plan.key });
    const payload: Payload = result.data?.startCheckout;
    setChosen(null);
    go(payload, Boolean(result.error), onError, t('state.error'));
  };
  return (
    <>
      {message && <ErrorNotice message={message} />}
      <ul className="plan-list">
        {billing.plans.map((plan) => {
          const current = plan.key === billing.plan.key;
          const paid = plan.pricePerStore > 0;
          return (
            <li key={plan.key} className={`card plan${current ? ' plan-current' : ''}`} data-testid={`plan-${plan.key}`}>
              <h3>{plan.name}{current && <>{' '}<span className="badge">{t('billing.currentPlan')}</span></>}</h3>
              <p>{plan.description}</p>
              <p className="price">
                {paid ? t('billing.price', { price: formatPrice(plan.pricePerStore, plan.currency, i18n.language) })
                  : plan.trialDays ? t('billing.freeFor', { count: plan.trialDays }) : t('billing.free')}
              </p>
              <ul className="limits">
                <li>{limitText(t, 'stores', plan.stores, i18n.language)}</li>
                <li>{limitText(t, 'responses', plan.monthlyResponses, i18n.language)}</li>
                <li>{limitText(t, 'users', plan.users, i18n.language)}</li>
              </ul>
              {billing.configured && paid && !current && (
                <button type="button" disabled={state.fetching} onClick={() => onChoose(plan)}>
                  {chosen === plan.key ? t('billing.opening') : t('billing.choose', { plan: plan.name })}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function go(payload: Payload, failed: boolean, onError: (message: string | null) => void, generic: string) {
  if (failed || !payload) {
    onError(generic);
  } else if (payload.errors.length > 0 || !payload.url) {
    onError(payload.errors[0]?.message ?? generic);
  } else if (!webAddress(payload.url)) {
    onError(generic); // never a `javascript:` or `data:` page, whatever the answer says (ASVS V1.2.2)
  } else {
    window.location.assign(payload.url); // a full load of the Stripe-hosted page
  }
}

/** True for an absolute http(s) URL: the only kind of checkout or billing-portal address the portal goes to. */
export function webAddress(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

function BillingOverview() {
  const { t, i18n } = useTranslation();
  const [{ data, fetching, error }, refetch] = useQuery({ query: BillingQuery, requestPolicy: 'cache-and-network' });
  const [portal, openPortal] = useMutation(OpenBillingPortalMutation);
  const [message, setMessage] = useState<string | null>(null);
  const [params] = useSearchParams();
  const back = params.get('checkout'); // Stripe's checkout sends the person back with ?checkout=done or canceled
  const billing = data?.billing;
  if (fetching && !billing) {
    return <Loading />;
  }
  if (!billing) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  const day = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'long' });
  const onPortal = async () => {
    setMessage(null);
    const result = await openPortal({});
    go(result.data?.openBillingPortal, Boolean(result.error), setMessage, t('state.error'));
  };
  const { plan, usage } = billing;
  return (
    <>
      {(back === 'done' || back === 'canceled') && (
        <p className="card" role="status" data-testid="checkout-back">{t(`billing.checkout_${back}`)}</p>
      )}
      {billing.readOnly && (
        <div className="alert alert-serious" role="alert" data-testid="read-only">
          <p><strong>{t('billing.readOnly')}</strong> {billing.readOnlyReason}</p>
        </div>
      )}
      {billing.notice && (
        <div className="alert" role="alert" data-testid="notice"><p>{billing.notice}</p></div>
      )}
      {billing.readOnlyStoreIds.length > 0 && (
        <div className="alert" role="alert" data-testid="read-only-stores">
          <p>{t('billing.readOnlyStores', { count: billing.readOnlyStoreIds.length })}</p>
        </div>
      )}
      {billing.overQuota && (
        <div className="alert alert-serious" role="alert" data-testid="over-quota">
          <p>{t('billing.overQuota', { count: billing.overQuotaResponses,
            limit: (plan.monthlyResponses ?? 0).toLocaleString(locale(i18n.language)) })}</p>
        </div>
      )}
      <section className="card" aria-labelledby="plan-title">
        <h2 id="plan-title">{t('billing.planTitle')}</h2>
        {!billing.configured && <p data-testid="not-configured">{t('billing.notConfigured')}</p>}
        <dl className="facts">
          <dt>{t('billing.plan')}</dt><dd data-testid="plan-name">{plan.name}</dd>
          <dt>{t('billing.state')}</dt><dd data-testid="plan-state">{t(`billing.state_${billing.state}`)}</dd>
          {billing.state === 'PILOT' && (
            <><dt>{t('billing.pilotEnds')}</dt><dd>{day.format(new Date(billing.pilotEndsAt))}</dd></>
          )}
          {billing.currentPeriodEnd && (
            <><dt>{t('billing.periodEnds')}</dt><dd>{day.format(new Date(billing.currentPeriodEnd))}</dd></>
          )}
        </dl>
        {billing.configured && billing.state === 'PILOT' && <p data-testid="after-pilot">{billing.afterPilot}</p>}
        {message && <ErrorNotice message={message} />}
        {hasSubscription(billing) && (
          <button type="button" className="secondary" disabled={portal.fetching} onClick={onPortal}>
            {t('billing.manage')}
          </button>
        )}
      </section>
      <section className="card" aria-labelledby="usage-title">
        <h2 id="usage-title">{t('billing.usageTitle')}</h2>
        <Usage id="stores" label={t('billing.usageStores')} used={usage.stores} limit={plan.stores} />
        <Usage id="responses" label={t('billing.usageResponses')} used={usage.monthlyResponses}
          limit={plan.monthlyResponses} />
        <Usage id="seats" label={t('billing.usageSeats')} used={usage.seats} limit={plan.users} />
        {!billing.configured && <p className="hint">{t('billing.notEnforced')}</p>}
      </section>
      <section aria-labelledby="plans-title">
        <h2 id="plans-title">{t('billing.plansTitle')}</h2>
        <Plans billing={billing} />
      </section>
    </>
  );
}

/** The tenant's billing (owners and admins): plan and state, usage against the plan's limits, the plans with a
 * checkout for each paid one, and Stripe's billing portal for payment methods and invoices. */
export function BillingPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('billing.title')}>
      <AdminOnly message={t('billing.adminOnly')}><BillingOverview /></AdminOnly>
    </Layout>
  );
}
