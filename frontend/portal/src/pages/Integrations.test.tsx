import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { domainsOf, IntegrationsPage, mappingOf, pairsOf, withoutSecrets } from './Integrations';

const STORES = { edges: [
  { node: { __typename: 'Store', id: 'U3RvcmU6MQ==', name: 'Grünerløkka', slug: 'grunerlokka' } },
  { node: { __typename: 'Store', id: 'U3RvcmU6Mg==', name: 'Webshop', slug: 'webshop' } },
] };
const SHOPIFY = { __typename: 'Plugin', name: 'shopify', enabled: true, alwaysOnReason: null, secretFields: [],
  config: { locations: { 12345: 'grunerlokka' }, online_store: null, invitation_delay_minutes: 1440,
    legitimate_interest: false, reward_percent: null, reward_valid_days: 30 } };
const VIPPS = { __typename: 'Plugin', name: 'vipps', enabled: true, alwaysOnReason: null,
  secretFields: ['webhook_secret', 'api_client_secret', 'api_subscription_key', 'login_client_secret'],
  config: { webhook_id: 'abcdefghijklmnop1234', webhook_secret: null, sales_units: { 123456: 'grunerlokka' },
    api_client_id: 'vipps-client', api_client_secret: null, api_subscription_key: null, api_test: true,
    login_issuer: null, login_client_id: null, login_client_secret: null } };
const SSO = { __typename: 'SsoConfiguration', issuer: 'https://idp.example.com', clientId: 'pejling',
  clientSecretFingerprint: 'ab12cd', allowedEmailDomains: ['nordlys.no'], defaultRole: 'ANALYST', ssoOnly: false,
  loginUrl: 'https://pejling.example/sso/nordlys/login', redirectUri: 'https://pejling.example/sso/callback',
  updatedAt: '2026-11-30T09:00:00Z' };
const ENDPOINT = { __typename: 'WebhookEndpoint', id: 'V2ViaG9va0VuZHBvaW50OjE=', url: 'https://hooks.example.com/pejling',
  description: 'CRM', events: ['RESPONSE_CREATED'], enabled: true, secretFingerprint: 'ff00aa', oldSecretSignsUntil: null,
  createdAt: '2026-11-30T09:00:00Z' };
const DELIVERY = { __typename: 'WebhookDelivery', id: 'V2ViaG9va0RlbGl2ZXJ5OjE=', eventId: 'evt-1',
  eventType: 'RESPONSE_CREATED', status: 'FAILED', attempts: 2, lastResponseCode: 500, lastError: null, nextRetryAt: null,
  deliveredAt: null, createdAt: '2026-12-01T10:00:00Z',
  attemptLog: [
    { __typename: 'WebhookAttempt', number: 1, at: '2026-12-01T10:00:00Z', responseCode: null, responseExcerpt: '',
      error: 'timeout', succeeded: false },
    { __typename: 'WebhookAttempt', number: 2, at: '2026-12-01T10:01:00Z', responseCode: 500,
      responseExcerpt: 'Internal Server Error', error: null, succeeded: false },
  ] };
const WEBHOOK_SECRET = 'whsec_0123456789abcdefghijklmnopqrstuv';

function renderPage(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/integrations']}><IntegrationsPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(role = 'OWNER', extra: Answers = {}): Answers {
  return {
    Me: meAs(role), IntegrationPlugins: { plugins: [SHOPIFY, VIPPS], stores: STORES, shopifyShops: [] },
    SsoConfiguration: { ssoConfiguration: null }, WebhookEndpoints: { webhookEndpoints: [] }, ...extra,
  };
}

function section(name: string) {
  return screen.getByRole('region', { name });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the mapping and configuration helpers', () => {
  it('turns stored mappings into rows and back, dropping rows without an id', () => {
    expect(pairsOf({ 12: 'a', 34: 'b' })).toEqual([{ key: '12', store: 'a' }, { key: '34', store: 'b' }]);
    expect(pairsOf(null)).toEqual([]);
    expect(mappingOf([{ key: ' 12 ', store: 'a' }, { key: '', store: 'b' }])).toEqual({ 12: 'a' });
  });

  it('leaves the secret fields out of a stored configuration, so saving keeps them', () => {
    expect(withoutSecrets({ a: 1, s: null }, ['s'])).toEqual({ a: 1 });
  });

  it('splits email domains on commas and spaces', () => {
    expect(domainsOf('nordlys.no, nordlys.se\nexample.com')).toEqual(['nordlys.no', 'nordlys.se', 'example.com']);
  });
});

describe('the Integrations page', () => {
  it('is for owners and admins only', () => {
    renderPage(clientAnswering(answers('ANALYST'), []));
    expect(screen.getByTestId('admin-only').textContent).toBe('Only owners and admins can see and change the integrations.');
    expect(screen.queryByRole('link', { name: 'Integrations' })).toBeNull();
  });

  it('shows a retry when the plugins cannot be read, and reads them again', async () => {
    const sent: Sent = [];
    let calls = 0;
    renderPage(clientAnswering(answers('OWNER', {
      IntegrationPlugins: () => (calls++ === 0 ? { error: true } : { plugins: [SHOPIFY], stores: STORES, shopifyShops: [] }),
    }), sent));
    fireEvent.click(within(screen.getAllByRole('alert')[0]).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('region', { name: 'Shopify' })).toBeTruthy();
  });
});

describe('the Shopify section', () => {
  it('explains that the install starts from Shopify and shows the stored settings', () => {
    renderPage(clientAnswering(answers(), []));
    const shopify = section('Shopify');
    expect(shopify.textContent).toContain('install the Pejling app (the install always starts from Shopify)');
    expect((within(shopify).getByLabelText('Shopify location id') as HTMLInputElement).value).toBe('12345');
    expect((within(shopify).getByLabelText('Store') as HTMLSelectElement).value).toBe('grunerlokka');
    expect((within(shopify).getByLabelText('Store for online orders') as HTMLSelectElement).value).toBe('');
  });

  it('says when no shop is connected, and shows connected and uninstalled shops', () => {
    const { unmount } = renderPage(clientAnswering(answers(), []));
    expect(section('Shopify').textContent).toContain('No shop is connected yet.');
    unmount();
    renderPage(clientAnswering(answers('OWNER', { IntegrationPlugins: { plugins: [SHOPIFY], stores: STORES, shopifyShops: [
      { __typename: 'ShopifyShop', shop: 'nordlys.myshopify.com', connected: true, tokenFingerprint: '9f8e7d',
        installedAt: '2026-11-02T08:00:00Z', uninstalledAt: null },
      { __typename: 'ShopifyShop', shop: 'old.myshopify.com', connected: false, tokenFingerprint: null,
        installedAt: '2026-01-02T08:00:00Z', uninstalledAt: '2026-03-02T08:00:00Z' },
    ] } }), []));
    const shops = within(section('Shopify')).getByRole('list', { name: 'Connected shops' });
    const [connected, gone] = within(shops).getAllByRole('listitem');
    expect(connected.textContent).toMatch(/^nordlys\.myshopify\.com connected since .+ \(access token 9f8e7d\)\.$/);
    expect(gone.textContent).toMatch(/^old\.myshopify\.com not connected: the app was uninstalled /);
  });

  it('saves the settings through enablePlugin', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      EnablePlugin: { enablePlugin: { plugin: SHOPIFY, errors: [] } },
    }), sent));
    const shopify = section('Shopify');
    fireEvent.click(within(shopify).getByRole('button', { name: 'Add a row' }));
    fireEvent.change(within(shopify).getAllByLabelText('Shopify location id')[1], { target: { value: '777' } });
    fireEvent.change(within(shopify).getAllByLabelText('Store')[1], { target: { value: 'webshop' } });
    fireEvent.change(within(shopify).getByLabelText('Store for online orders'), { target: { value: 'webshop' } });
    fireEvent.change(within(shopify).getByLabelText('Invitation delay (minutes)'), { target: { value: '60' } });
    fireEvent.click(within(shopify).getByLabelText(/legitimate interest/));
    fireEvent.change(within(shopify).getByLabelText('Reward discount (percent)'), { target: { value: '10' } });
    fireEvent.click(within(shopify).getByRole('button', { name: 'Save Shopify settings' }));
    expect(await within(shopify).findByText('Saved.')).toBeTruthy();
    expect(sent.find((s) => s.name === 'EnablePlugin')?.variables).toEqual({ name: 'shopify', config: {
      locations: { 12345: 'grunerlokka', 777: 'webshop' }, online_store: 'webshop', invitation_delay_minutes: 60,
      legitimate_interest: true, reward_percent: 10, reward_valid_days: 30,
    } });
  });

  it("shows the API's typed errors next to their fields", async () => {
    renderPage(clientAnswering(answers('OWNER', {
      EnablePlugin: { enablePlugin: { plugin: null, errors: [
        { code: 'invalid', message: 'Input should be less than or equal to 100', field: 'config.reward_percent' },
      ] } },
    }), []));
    const shopify = section('Shopify');
    fireEvent.change(within(shopify).getByLabelText('Reward discount (percent)'), { target: { value: '100' } });
    fireEvent.click(within(shopify).getByRole('button', { name: 'Save Shopify settings' }));
    const field = within(shopify).getByLabelText('Reward discount (percent)');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(field.getAttribute('aria-describedby')!.split(' ')[1])?.textContent)
      .toBe('Input should be less than or equal to 100');
    expect(within(shopify).queryByText('Saved.')).toBeNull();
  });
});

describe('the Vipps MobilePay section', () => {
  it('never shows a stored secret and sends one only when typed', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      EnablePlugin: { enablePlugin: { plugin: VIPPS, errors: [] } },
    }), sent));
    const vipps = section('Vipps MobilePay');
    const secret = within(vipps).getByLabelText('Client secret') as HTMLInputElement;
    expect(secret.value).toBe('');
    expect(secret.type).toBe('password');
    expect(vipps.textContent).toContain('A value is stored and never shown. Leave this empty to keep it.');
    fireEvent.change(within(vipps).getByLabelText('Subscription key (Ocp-Apim-Subscription-Key)'),
      { target: { value: 'new-subscription-key' } });
    fireEvent.click(within(vipps).getByRole('button', { name: 'Save Vipps MobilePay settings' }));
    await within(vipps).findByText('Saved.');
    expect(sent.find((s) => s.name === 'EnablePlugin')?.variables).toEqual({ name: 'vipps', config: {
      webhook_id: 'abcdefghijklmnop1234', sales_units: { 123456: 'grunerlokka' }, api_client_id: 'vipps-client',
      api_test: true, api_subscription_key: 'new-subscription-key', login_issuer: null, login_client_id: null,
      login_client_secret: null,
    } });
    expect((within(vipps).getByLabelText('Subscription key (Ocp-Apim-Subscription-Key)') as HTMLInputElement).value)
      .toBe('');
  });

  it('sends the Vipps Login fields when it is switched on', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      EnablePlugin: { enablePlugin: { plugin: VIPPS, errors: [] } },
    }), sent));
    const vipps = section('Vipps MobilePay');
    fireEvent.click(within(vipps).getByLabelText('Let shoppers sign in with Vipps'));
    fireEvent.change(within(vipps).getByLabelText('Issuer'),
      { target: { value: 'https://api.vipps.no/access-management-1.0/access/' } });
    fireEvent.change(within(vipps).getByLabelText('Login client id'), { target: { value: 'login-id' } });
    fireEvent.change(within(vipps).getByLabelText('Login client secret'), { target: { value: 'login-secret-1' } });
    fireEvent.click(within(vipps).getByRole('button', { name: 'Save Vipps MobilePay settings' }));
    await within(vipps).findByText('Saved.');
    expect(sent.find((s) => s.name === 'EnablePlugin')?.variables).toMatchObject({ name: 'vipps', config: {
      login_issuer: 'https://api.vipps.no/access-management-1.0/access/', login_client_id: 'login-id',
      login_client_secret: 'login-secret-1',
    } });
  });

  it('says clearly when Vipps refused the webhook registration', async () => {
    renderPage(clientAnswering(answers('OWNER', {
      EnablePlugin: { enablePlugin: { plugin: null, errors: [
        { code: 'service_refused', message: 'Vipps MobilePay refused the API keys (401).', field: null },
      ] } },
    }), []));
    const vipps = section('Vipps MobilePay');
    fireEvent.click(within(vipps).getByRole('button', { name: 'Save Vipps MobilePay settings' }));
    expect((await within(vipps).findByRole('alert')).textContent)
      .toBe('The service refused the change, nothing was saved: Vipps MobilePay refused the API keys (401).');
    expect(within(vipps).queryByText('Saved.')).toBeNull();
  });

  it('switches Vipps off only after confirming', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      DisablePlugin: { disablePlugin: { plugin: { ...VIPPS, enabled: false }, errors: [] } },
    }), sent));
    fireEvent.click(within(section('Vipps MobilePay')).getByRole('button', { name: 'Switch Vipps MobilePay off' }));
    const dialog = screen.getByRole('dialog', { name: 'Switch Vipps MobilePay off?' });
    expect(sent.some((s) => s.name === 'DisablePlugin')).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, switch off' }));
    await waitFor(() => expect(sent.find((s) => s.name === 'DisablePlugin')?.variables).toEqual({ name: 'vipps' }));
  });
});

describe('the single sign-on section', () => {
  it('is for owners only: an admin is told so and the configuration is not asked for', () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('ADMIN'), sent));
    expect(section('Single sign-on').textContent).toContain('Only owners can set up single sign-on.');
    expect(sent.some((s) => s.name === 'SsoConfiguration')).toBe(false);
  });

  it('shows the login URL and redirect URI to copy, never the secret', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderPage(clientAnswering(answers('OWNER', { SsoConfiguration: { ssoConfiguration: SSO } }), []));
    const sso = section('Single sign-on');
    expect((within(sso).getByLabelText('Redirect URI to register') as HTMLInputElement).value).toBe(SSO.redirectUri);
    expect((within(sso).getByLabelText('Login URL for your staff') as HTMLInputElement).value).toBe(SSO.loginUrl);
    expect((within(sso).getByLabelText('Client secret') as HTMLInputElement).value).toBe('');
    expect(sso.textContent).toContain('Stored secret: ab12cd. Leave this empty to keep it.');
    fireEvent.click(within(sso).getByRole('button', { name: 'Copy Redirect URI to register' }));
    expect(await within(sso).findByText('Copied to the clipboard.')).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith(SSO.redirectUri);
  });

  it('configures single sign-on and shows the typed error on its field', async () => {
    const sent: Sent = [];
    let calls = 0;
    renderPage(clientAnswering(answers('OWNER', {
      ConfigureSso: () => (calls++ === 0
        ? { configureSso: { ssoConfiguration: null, errors: [
          { code: 'invalid', message: 'The issuer could not be discovered.', field: 'issuer' }] } }
        : { configureSso: { ssoConfiguration: SSO, errors: [] } }),
    }), sent));
    const sso = section('Single sign-on');
    expect(sso.textContent).toContain('Single sign-on is not set up.');
    fireEvent.change(within(sso).getByLabelText('Issuer'), { target: { value: 'https://idp.example.com' } });
    fireEvent.change(within(sso).getByLabelText('Client id'), { target: { value: 'pejling' } });
    fireEvent.change(within(sso).getByLabelText('Client secret'), { target: { value: 's3cret-value' } });
    fireEvent.change(within(sso).getByLabelText('Allowed email domains'), { target: { value: 'nordlys.no, nordlys.se' } });
    fireEvent.change(within(sso).getByLabelText('Role of a person signing in for the first time'), { target: { value: 'ADMIN' } });
    fireEvent.click(within(sso).getByLabelText(/^Only single sign-on/));
    fireEvent.click(within(sso).getByRole('button', { name: 'Save single sign-on' }));
    expect(await within(sso).findByText('The issuer could not be discovered.')).toBeTruthy();
    expect(within(sso).getByLabelText('Issuer').getAttribute('aria-invalid')).toBe('true');
    expect(sent.find((s) => s.name === 'ConfigureSso')?.variables).toEqual({ input: {
      issuer: 'https://idp.example.com', clientId: 'pejling', clientSecret: 's3cret-value',
      allowedEmailDomains: ['nordlys.no', 'nordlys.se'], defaultRole: 'ADMIN', ssoOnly: true,
    } });
    fireEvent.click(within(sso).getByRole('button', { name: 'Save single sign-on' }));
    await waitFor(() => expect(sent.filter((s) => s.name === 'SsoConfiguration').length).toBe(2)); // read again
  });

  it('removes single sign-on through the confirmation dialog', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      SsoConfiguration: { ssoConfiguration: SSO },
      DisableSso: { disableSso: { ssoConfiguration: null, errors: [] } },
    }), sent));
    fireEvent.click(within(section('Single sign-on')).getByRole('button', { name: 'Remove single sign-on' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove single sign-on?' });
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(sent.some((s) => s.name === 'DisableSso')).toBe(false);
    fireEvent.click(within(section('Single sign-on')).getByRole('button', { name: 'Remove single sign-on' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes, remove' }));
    await waitFor(() => expect(sent.some((s) => s.name === 'DisableSso')).toBe(true));
  });
});

describe('the webhooks section', () => {
  it('says when there are no endpoints yet', () => {
    renderPage(clientAnswering(answers(), []));
    expect(section('Webhooks for integrators').textContent).toContain('No webhook endpoints yet.');
  });

  it('creates an endpoint and shows its secret once, focused, with a copy button', async () => {
    const sent: Sent = [];
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderPage(clientAnswering(answers('ADMIN', {
      CreateWebhookEndpoint: { createWebhookEndpoint: { endpoint: ENDPOINT, secret: WEBHOOK_SECRET, errors: [] } },
    }), sent));
    const hooks = section('Webhooks for integrators');
    fireEvent.change(within(hooks).getByLabelText('URL'), { target: { value: ENDPOINT.url } });
    fireEvent.change(within(hooks).getByLabelText('Description (optional)'), { target: { value: 'CRM' } });
    fireEvent.click(within(hooks).getByLabelText('Follow-up opened'));
    fireEvent.click(within(hooks).getByRole('button', { name: 'Create endpoint' }));
    const secret = await within(hooks).findByLabelText('Signing secret') as HTMLInputElement;
    expect(secret.value).toBe(WEBHOOK_SECRET);
    await waitFor(() => expect(document.activeElement).toBe(secret));
    expect(sent.find((s) => s.name === 'CreateWebhookEndpoint')?.variables).toEqual({ input: {
      url: ENDPOINT.url, events: ['RESPONSE_CREATED', 'FOLLOWUP_OPENED'], description: 'CRM' } });
    fireEvent.click(within(hooks).getByRole('button', { name: 'Copy Signing secret' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(WEBHOOK_SECRET));
    fireEvent.click(within(hooks).getByRole('button', { name: 'I have stored it' }));
    expect(within(hooks).queryByLabelText('Signing secret')).toBeNull();
  });

  it('shows a refused URL next to its field', async () => {
    renderPage(clientAnswering(answers('OWNER', {
      CreateWebhookEndpoint: { createWebhookEndpoint: { endpoint: null, secret: null, errors: [
        { code: 'invalid', message: 'The URL must resolve to public addresses only.', field: 'url' }] } },
    }), []));
    const hooks = section('Webhooks for integrators');
    fireEvent.change(within(hooks).getByLabelText('URL'), { target: { value: 'https://10.0.0.1/hook' } });
    fireEvent.click(within(hooks).getByRole('button', { name: 'Create endpoint' }));
    expect(await within(hooks).findByText('The URL must resolve to public addresses only.')).toBeTruthy();
    expect(within(hooks).getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');
  });

  it('switches an endpoint off, rotates its secret (old one kept a day) and deletes it after confirming', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      WebhookEndpoints: { webhookEndpoints: [ENDPOINT] },
      UpdateWebhookEndpoint: { updateWebhookEndpoint: { endpoint: { ...ENDPOINT, enabled: false }, errors: [] } },
      RotateWebhookSecret: { rotateWebhookSecret: { endpoint: ENDPOINT, secret: WEBHOOK_SECRET, errors: [] } },
      DeleteWebhookEndpoint: { deleteWebhookEndpoint: { errors: [] } },
    }), sent));
    const list = screen.getByRole('list', { name: 'Webhook endpoints' });
    expect(list.textContent).toContain('Response received');
    expect(list.textContent).toContain('secret ff00aa');
    fireEvent.click(within(list).getByRole('button', { name: `Switch off ${ENDPOINT.url}` }));
    await waitFor(() => expect(sent.find((s) => s.name === 'UpdateWebhookEndpoint')?.variables)
      .toEqual({ input: { id: ENDPOINT.id, enabled: false } }));
    fireEvent.click(within(list).getByRole('button', { name: `Rotate secret ${ENDPOINT.url}` }));
    const rotate = screen.getByRole('dialog', { name: `Give ${ENDPOINT.url} a new signing secret?` });
    fireEvent.click(within(rotate).getByLabelText('Sign with the old secret too for 24 hours'));
    fireEvent.click(within(rotate).getByRole('button', { name: 'Yes, rotate' }));
    expect(await screen.findByLabelText('Signing secret')).toBeTruthy();
    expect(sent.find((s) => s.name === 'RotateWebhookSecret')?.variables).toEqual({ id: ENDPOINT.id, keepOldHours: 24 });
    fireEvent.click(within(list).getByRole('button', { name: `Delete ${ENDPOINT.url}` }));
    expect(sent.some((s) => s.name === 'DeleteWebhookEndpoint')).toBe(false);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(sent.find((s) => s.name === 'DeleteWebhookEndpoint')?.variables).toEqual({ id: ENDPOINT.id }));
  });

  it('shows the delivery log with every attempt and sends a delivery again', async () => {
    const sent: Sent = [];
    renderPage(clientAnswering(answers('OWNER', {
      WebhookEndpoints: { webhookEndpoints: [ENDPOINT] },
      WebhookDeliveries: { webhookDeliveries: [DELIVERY] },
      RedeliverWebhook: { redeliverWebhook: { delivery: { ...DELIVERY, status: 'PENDING' }, errors: [] } },
    }), sent));
    const opener = screen.getByRole('button', { name: `Delivery log ${ENDPOINT.url}` });
    expect(opener.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(opener);
    expect(opener.getAttribute('aria-expanded')).toBe('true');
    expect(sent.find((s) => s.name === 'WebhookDeliveries')?.variables).toEqual({ endpoint: ENDPOINT.id });
    const row = screen.getAllByRole('row')[1];
    expect(row.textContent).toContain('Failed');
    expect(row.textContent).toContain('2 attempts');
    expect(row.textContent).toContain('timeout');
    expect(row.textContent).toContain('HTTP 500');
    expect(row.textContent).toContain('Internal Server Error');
    fireEvent.click(within(row).getByRole('button', { name: 'Send again evt-1' }));
    expect(await screen.findByText('Sent again.')).toBeTruthy();
    expect(sent.find((s) => s.name === 'RedeliverWebhook')?.variables).toEqual({ delivery: DELIVERY.id });
  });

  it('says when an endpoint has no deliveries yet', () => {
    renderPage(clientAnswering(answers('OWNER', {
      WebhookEndpoints: { webhookEndpoints: [ENDPOINT] }, WebhookDeliveries: { webhookDeliveries: [] },
    }), []));
    fireEvent.click(screen.getByRole('button', { name: `Delivery log ${ENDPOINT.url}` }));
    expect(screen.getByText('Nothing has been sent to this endpoint yet.')).toBeTruthy();
  });
});
