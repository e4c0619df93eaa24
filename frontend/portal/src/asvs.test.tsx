// The portal's side of ASVS rows in docs/asvs.md: text is shown as text (V3.2.2), password fields are masked and
// work with password managers (V6.2.6, V6.2.7), logout is on every logged-in page (V7.4.4) and drops what the
// browser kept (V14.3.1), and web storage holds only the tenant slug and the language (V14.3.3).
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { never } from 'wonka';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { chooseTenant, currentTenant } from './graphql/client';
import { rememberLanguage } from './i18n';
import { PortalRoutes } from './routes';
import { SessionProvider } from './session';
import { clientAnswering, meAs, type Answers, type Sent } from './test-client';

const HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>';
const NOBODY = { me: null };

type Operation = { query: { definitions: { name?: { value: string } }[] }; variables: Record<string, unknown> };

/** Like clientAnswering, but a query it has no answer for stays loading (each page's own data is not the point). */
function clientKnowing(answers: Answers, sent: Sent): Client {
  const known = clientAnswering(answers, sent);
  const nameOf = (operation: Operation) => operation.query.definitions[0].name?.value ?? '';
  return {
    executeQuery: (operation: Operation) => (nameOf(operation) in answers
      ? known.executeQuery(operation as never) : never),
    executeMutation: known.executeMutation,
  } as unknown as Client;
}

function renderAt(client: Client, url: string) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[url]}><PortalRoutes /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

/** Replaces window.location (jsdom's cannot be navigated) with one whose assign is a spy. */
function stubAssign() {
  const assign = vi.fn();
  vi.stubGlobal('location', { ...window.location, assign });
  return assign;
}

beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('V3.2.2: what shoppers and tenants wrote is shown as text', () => {
  it('shows a shopper comment and a store name holding HTML as their characters, with no element made', async () => {
    const stored = { __typename: 'ShopperData', receiptCode: 'K7Q-4MZ', store: HOSTILE, zone: null, channel: 'qr',
      language: 'da', submittedAt: '2026-11-30T14:05:00+01:00', outcome: 8, comment: HOSTILE, contactEmail: null,
      answers: [] };
    const retention = { __typename: 'Retention', months: null, mode: 'ANONYMISE', cutoff: null, due: 0 };
    renderAt(clientKnowing({ Me: meAs('OWNER'), Retention: { retention }, ShopperData: { shopperData: stored } }, []),
      '/portal/privacy');
    fireEvent.change(await screen.findByLabelText('Receipt code'), { target: { value: 'K7Q-4MZ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Look up' }));
    const shown = await screen.findByTestId('shopper-data');
    expect(within(shown).getAllByText(HOSTILE).length).toBe(2);
    expect(shown.querySelector('img, script, b')).toBeNull();
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });
});

describe('V6.2.6, V6.2.7: password fields', () => {
  const pages: [string, string, string][] = [
    ['/login', 'Password', 'current-password'],
    ['/reset-password#token=abc', 'New password', 'new-password'],
    ['/confirm-signup#token=abc', 'New password', 'new-password'],
    ['/accept-invitation#token=abc', 'New password', 'new-password'],
  ];
  it.each(pages)('%s masks the password, names it for password managers and lets it be pasted',
    async (url, label, autocomplete) => {
      renderAt(clientKnowing({ Me: NOBODY }, []), url);
      const field = (await screen.findByLabelText(label)) as HTMLInputElement;
      expect(field.type).toBe('password');
      expect(field.getAttribute('autocomplete')).toBe(autocomplete);
      expect(field.name).not.toBe('');
      expect(fireEvent.paste(field)).toBe(true); // not cancelled by the page
      expect(field.readOnly || field.disabled).toBe(false);
      expect(field.maxLength === -1 || field.maxLength >= 64).toBe(true);
    });
});

describe('V7.4.4: logout is on every logged-in page', () => {
  const pages = ['/portal', '/portal/stores/S1', '/portal/stores/S1/dashboard', '/portal/follow-ups/F1',
    '/portal/team', '/portal/api-tokens', '/portal/privacy', '/portal/billing', '/portal/no-such-page'];
  it.each(pages)('%s has the log out button in its header', async (url) => {
    chooseTenant('nordlys');
    renderAt(clientKnowing({ Me: meAs('OWNER') }, []), url);
    const button = await screen.findByRole('button', { name: 'Log out' });
    expect(button.closest('header')).not.toBeNull();
  });

  it('is not offered to someone not logged in', async () => {
    renderAt(clientKnowing({ Me: NOBODY }, []), '/login');
    await screen.findByLabelText('Password');
    expect(screen.queryByRole('button', { name: 'Log out' })).toBeNull();
  });
});

describe('V14.3.1: logging out leaves nothing of the session in the page', () => {
  it('ends the session on the server, forgets the tenant and reloads to /login', async () => {
    const sent: Sent = [];
    const assign = stubAssign();
    chooseTenant('nordlys');
    renderAt(clientKnowing({ Me: meAs('OWNER'), Logout: { logout: { ok: true, errors: [] } } }, sent), '/portal/team');
    fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/login'));
    expect(sent.map((s) => s.name)).toContain('Logout');
    expect(currentTenant()).toBe('');
    expect(sessionStorage.length).toBe(0);
  });

  it('keeps the tenant when the server did not log out', async () => {
    const assign = stubAssign();
    chooseTenant('nordlys');
    renderAt(clientKnowing({ Me: meAs('OWNER'), Logout: { error: true } }, []), '/portal/team');
    fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Log out' }).hasAttribute('disabled')).toBe(false));
    expect(assign).not.toHaveBeenCalled();
    expect(currentTenant()).toBe('nordlys');
  });
});

describe('V14.3.3: web storage holds only the tenant slug and the language', () => {
  it('keeps no address, password, token or answer after logging in, working and choosing a language', async () => {
    stubAssign();
    const password = 'sunlit harbour quietly 42';
    renderAt(clientKnowing({ Me: NOBODY, Login: { login: {
      me: { __typename: 'Me', email: 'ingrid@example.com', csrfToken: 'csrf-secret-123' }, errors: [] } } }, []),
    '/login');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(window.location.assign).toHaveBeenCalled());
    renderAt(clientKnowing({ Me: meAs('OWNER') }, []), '/portal');
    await screen.findByRole('button', { name: 'Log out' });
    rememberLanguage('sv');
    const stored = (storage: Storage) => Object.fromEntries(
      Array.from({ length: storage.length }, (_, i) => storage.key(i) as string).map((k) => [k, storage.getItem(k)]));
    expect(stored(sessionStorage)).toEqual({ 'pejling.portal.tenant': 'nordlys' });
    expect(stored(localStorage)).toEqual({ 'pejling.portal.language': 'sv' });
    rememberLanguage('en');
  });
});
