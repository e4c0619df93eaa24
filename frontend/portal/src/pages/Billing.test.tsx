import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { BillingPage, formatPrice, hasSubscription } from './Billing';

const PILOT = { __typename: 'BillingPlan', key: 'pilot', name: 'Pilot', description: 'Try Pejling in one store.',
  pricePerStore: 0, currency: 'eur', trialDays: 30, stores: 1, monthlyResponses: 500, users: 3 };
const STORE = { __typename: 'BillingPlan', key: 'store', name: 'Store', description: 'For a few stores.',
  pricePerStore: 4900, currency: 'eur', trialDays: null, stores: 3, monthlyResponses: 10000, users: 10 };
const CHAIN = { __typename: 'BillingPlan', key: 'chain', name: 'Chain', description: 'Every store, every plugin.',
  pricePerStore: 3900, currency: 'eur', trialDays: null, stores: null, monthlyResponses: 250000, users: 200 };
const BILLING = { __typename: 'Billing', configured: true, state: 'PILOT', stripeStatus: null, currentPeriodEnd: null,
  pilotEndsAt: '2027-01-01T10:00:00Z', afterPilot: 'When the pilot ends the portal becomes read-only.',
  readOnly: false, readOnlyReason: null, notice: null, overQuota: false, overQuotaResponses: 0, readOnlyStoreIds: [], plan: PILOT,
  usage: { __typename: 'BillingUsage', stores: 1, monthlyResponses: 120, seats: 2 }, plans: [PILOT, STORE, CHAIN] };

function renderBilling(client: Client, path = '/portal/billing') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[path]}><BillingPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(billing: Record<string, unknown> = {}, extra: Answers = {}, role = 'OWNER'): Answers {
  return { Me: meAs(role), Billing: { billing: { ...BILLING, ...billing } }, ...extra };
}

/** Replaces window.location (jsdom's cannot be navigated) with one whose assign is a spy. */
function stubAssign() {
  const assign = vi.fn();
  vi.stubGlobal('location', { ...window.location, assign });
  return assign;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the billing page', () => {
  it('says billing is not set up, shows the Pilot and offers no button', () => {
    renderBilling(clientAnswering(answers({ configured: false }), []));
    expect(screen.getByTestId('not-configured').textContent).toBe(
      'Billing is not set up on this Pejling: everything runs on the Pilot plan.');
    expect(screen.getByTestId('plan-name').textContent).toBe('Pilot');
    expect(screen.getByTestId('plan-state').textContent).toBe('Free pilot');
    expect(screen.queryByTestId('after-pilot')).toBeNull();
    expect(screen.queryAllByRole('button')).toHaveLength(1); // log out only
    expect(screen.getByRole('button', { name: 'Log out' })).toBeTruthy();
  });

  it('shows the usage against the plan\'s limits, with bars', () => {
    renderBilling(clientAnswering(answers(), []));
    expect(screen.getByTestId('usage-stores').textContent).toBe('Stores 1 of 1');
    expect(screen.getByTestId('usage-responses').textContent).toBe('Responses this month 120 of 500');
    expect(screen.getByTestId('usage-seats').textContent).toBe('Users (members and pending invitations) 2 of 3');
    const responses = screen.getByRole('meter', { name: 'Responses this month' });
    expect(responses.getAttribute('aria-valuenow')).toBe('120');
    expect(responses.getAttribute('aria-valuemax')).toBe('500');
    expect(responses.getAttribute('aria-valuetext')).toBe('120 of 500');
    expect(screen.getByTestId('after-pilot').textContent).toBe('When the pilot ends the portal becomes read-only.');
    expect(screen.getByText(/^The pilot ends/).nextElementSibling?.textContent).toMatch(/2027/);
  });

  it('lists the plans with their limits and prices, a button for each paid plan but the current one', () => {
    renderBilling(clientAnswering(answers(), []));
    const names = screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent);
    expect(names).toEqual(['Pilot Your plan', 'Store', 'Chain']);
    const store = screen.getByTestId('plan-store');
    expect(within(store).getByText('€49.00 per store per month')).toBeTruthy();
    expect(within(store).getByText('Up to 3 stores')).toBeTruthy();
    expect(within(store).getByText('Up to 10,000 responses a month')).toBeTruthy();
    expect(within(screen.getByTestId('plan-chain')).getByText('Any number of stores')).toBeTruthy();
    expect(within(screen.getByTestId('plan-pilot')).getByText('Free for 30 days')).toBeTruthy();
    expect(within(screen.getByTestId('plan-pilot')).queryByRole('button')).toBeNull();
    expect(screen.getByRole('button', { name: 'Choose Store' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Choose Chain' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Manage payment and invoices' })).toBeNull();
  });

  it('alerts when over the quota, with how many responses were kept over it', () => {
    renderBilling(clientAnswering(answers({ overQuota: true, overQuotaResponses: 12,
      usage: { __typename: 'BillingUsage', stores: 1, monthlyResponses: 512, seats: 2 } }), []));
    const alert = screen.getByTestId('over-quota');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toBe('This month\'s responses are over the plan\'s 500: 12 responses were stored over the '
      + 'quota. They are kept. Upgrade to a bigger plan to see every response counted.');
    expect(screen.getByTestId('usage-responses').textContent).toBe('Responses this month 512 of 500');
  });

  it('shows read-only and the notice as alerts', () => {
    renderBilling(clientAnswering(answers({ readOnly: true, readOnlyReason: 'The pilot has ended: choose a plan.',
      notice: 'The pilot ends in 3 days.' }), []));
    expect(screen.getByTestId('read-only').textContent).toMatch(/read-only.*The pilot has ended: choose a plan\.$/);
    expect(screen.getByTestId('notice').textContent).toBe('The pilot ends in 3 days.');
    expect(screen.getAllByRole('alert')).toHaveLength(2);
  });

  it('alerts about stores kept read-only beyond the plan\'s limit', () => {
    renderBilling(clientAnswering(answers({ readOnlyStoreIds: ['U3RvcmU6Mg==', 'U3RvcmU6Mw=='] }), []));
    expect(screen.getByTestId('read-only-stores').textContent).toBe(
      '2 stores beyond the plan\'s limit are kept, read-only: choose a bigger plan to change them again.');
  });

  it('says what happens when Stripe sends the person back from the checkout', () => {
    const { unmount } = renderBilling(clientAnswering(answers(), []), '/portal/billing?checkout=done');
    expect(screen.getByTestId('checkout-back').textContent).toMatch(/^Thank you\. Your plan changes as soon as Stripe/);
    unmount();
    renderBilling(clientAnswering(answers(), []), '/portal/billing?checkout=canceled');
    expect(screen.getByTestId('checkout-back').textContent).toBe(
      'The checkout was canceled: nothing was charged and your plan is unchanged.');
  });

  it('starts a checkout for the chosen plan and sends the browser to Stripe', async () => {
    const assign = stubAssign();
    const sent: Sent = [];
    renderBilling(clientAnswering(answers({}, {
      StartCheckout: { startCheckout: { url: 'https://checkout.stripe.com/c/pay/cs_test_1', errors: [] } },
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Choose Store' }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith('https://checkout.stripe.com/c/pay/cs_test_1'));
    expect(sent.find((s) => s.name === 'StartCheckout')?.variables).toEqual({ plan: 'store' });
  });

  it('shows the checkout\'s typed error and stays', async () => {
    const assign = stubAssign();
    renderBilling(clientAnswering(answers({}, {
      StartCheckout: { startCheckout: { url: null,
        errors: [{ code: 'unavailable', message: 'Stripe did not answer as expected; try again in a moment.',
          field: null }] } },
    }), []));
    fireEvent.click(screen.getByRole('button', { name: 'Choose Chain' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Stripe did not answer as expected; try again in a moment.');
    expect(assign).not.toHaveBeenCalled();
  });

  it('opens the billing portal of a paid subscription, and shows its error', async () => {
    const assign = stubAssign();
    const sent: Sent = [];
    let asked = 0;
    renderBilling(clientAnswering(answers({ state: 'ACTIVE', stripeStatus: 'active', plan: STORE,
      currentPeriodEnd: '2027-02-01T00:00:00Z' }, {
      OpenBillingPortal: () => (asked++ === 0
        ? { openBillingPortal: { url: null, errors: [{ code: 'not_found', message: 'Start a checkout first.' }] } }
        : { openBillingPortal: { url: 'https://billing.stripe.com/p/session/1', errors: [] } }),
    }), sent));
    expect(screen.getByTestId('plan-state').textContent).toBe('Active, paid');
    expect(screen.queryByText(/^The pilot ends/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Choose Store' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Manage payment and invoices' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Start a checkout first.');
    fireEvent.click(screen.getByRole('button', { name: 'Manage payment and invoices' }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith('https://billing.stripe.com/p/session/1'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows an error with a retry when the billing cannot be read', async () => {
    renderBilling(clientAnswering({ Me: meAs('OWNER'), Billing: { error: true } }, []));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Something went wrong/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('tells analysts and store managers that only owners and admins see billing', () => {
    for (const role of ['ANALYST', 'STORE_MANAGER']) {
      const sent: Sent = [];
      const { unmount } = renderBilling(clientAnswering(answers({}, {}, role), sent));
      expect(screen.getByTestId('admin-only').textContent).toMatch(/^Only owners and admins can see the plan/);
      expect(sent.some((s) => s.name === 'Billing')).toBe(false);
      expect(screen.queryByRole('link', { name: 'Billing' })).toBeNull();
      unmount();
    }
  });
});

describe('billing helpers', () => {
  it('formats a price from the currency\'s smallest unit', () => {
    expect(formatPrice(4900, 'eur', 'en')).toBe('€49.00');
    expect(formatPrice(3900, 'eur', 'da')).toMatch(/^39,00\s€$/);
  });

  it('opens the billing portal only with a subscription in a configured Pejling', () => {
    expect(hasSubscription({ configured: false, state: 'ACTIVE', stripeStatus: 'active' })).toBe(false);
    expect(hasSubscription({ configured: true, state: 'PILOT', stripeStatus: null })).toBe(false);
    expect(hasSubscription({ configured: true, state: 'PILOT', stripeStatus: 'incomplete' })).toBe(true);
    expect(hasSubscription({ configured: true, state: 'CANCELED', stripeStatus: null })).toBe(true);
  });
});
