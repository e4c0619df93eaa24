import { fireEvent, waitFor, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { ApiTokensPage, expiryOf } from './ApiTokens';

const TILL = { __typename: 'ApiToken', id: 'QXBpVG9rZW46MQ==', name: 'Till system', prefix: 'pjl_ab12', scopes: ['READ'],
  createdAt: '2026-11-02T08:00:00Z', expiresAt: null, revokedAt: null, lastUsedAt: null, active: true,
  createdBy: 'ingrid@example.com' };
const OLD = { ...TILL, id: 'QXBpVG9rZW46Mg==', name: 'Old export', prefix: 'pjl_cd34', scopes: ['READ', 'WRITE'],
  lastUsedAt: '2026-11-20T10:30:00Z', revokedAt: '2026-11-21T09:00:00Z', active: false };
const SECRET = 'pjl_ef56_0123456789abcdefghijklmnopqrstuvwxyz';

function tokens(...nodes: unknown[]) {
  return { apiTokens: { edges: nodes.map((node) => ({ node })) } };
}

function renderTokens(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/api-tokens']}><ApiTokensPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(extra: Answers = {}): Answers {
  return { Me: meAs('OWNER'), ApiTokens: tokens(TILL, OLD), ...extra };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the API tokens page', () => {
  it('lists each token with its access, maker, last use and status', () => {
    renderTokens(clientAnswering(answers(), []));
    const rows = within(screen.getByRole('region', { name: 'Tokens' })).getAllByRole('row').slice(1);
    expect(rows[0].textContent).toContain('Till system pjl_ab12…');
    expect(rows[0].textContent).toContain('Readingrid@example.com');
    expect(rows[0].textContent).toContain('NeverActive');
    expect(rows[1].textContent).toContain('Read and write');
    expect(rows[1].textContent).toContain('Revoked');
    expect(within(rows[1]).queryByRole('button')).toBeNull(); // a revoked token cannot be revoked again
  });

  it('creates a token and shows its secret once, with a warning and a copy button', async () => {
    const sent: Sent = [];
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderTokens(clientAnswering(answers({
      CreateApiToken: { createApiToken: { token: { ...TILL, id: 'QXBpVG9rZW46Mw==', name: 'Webshop', prefix: 'pjl_ef56',
        scopes: ['WRITE'] }, secret: SECRET, errors: [] } },
    }), sent));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Webshop' } });
    fireEvent.click(screen.getByLabelText(/^Read and write/));
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    const secret = await screen.findByLabelText('Token');
    expect((secret as HTMLInputElement).value).toBe(SECRET);
    expect((secret as HTMLInputElement).readOnly).toBe(true);
    await waitFor(() => expect(document.activeElement).toBe(secret)); // focus goes to what must be copied now
    expect(screen.getByText('Copy it now and keep it somewhere safe: it will not be shown again.')).toBeTruthy();
    expect(sent.find((s) => s.name === 'CreateApiToken')?.variables).toEqual(
      { input: { name: 'Webshop', scopes: ['WRITE'], expiresAt: null } });
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await screen.findByText('Copied to the clipboard.')).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByLabelText('Token')).toBeNull(); // gone for good: the API never sends it again
  });

  it('says so when the clipboard refuses, so the secret can be copied by hand', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: () => Promise.reject(new Error('denied')) } });
    renderTokens(clientAnswering(answers({
      CreateApiToken: { createApiToken: { token: TILL, secret: SECRET, errors: [] } },
    }), []));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Till system' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Copy' }));
    expect(await screen.findByText('Could not copy: select the token and copy it yourself.')).toBeTruthy();
  });

  it('shows the API\'s error on the name', async () => {
    renderTokens(clientAnswering(answers({
      CreateApiToken: { createApiToken: { token: null, secret: null,
        errors: [{ code: 'invalid', message: 'Give the token a name of 1–100 characters.', field: 'name' }] } },
    }), []));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText('Give the token a name of 1–100 characters.')).toBeTruthy();
    expect(screen.queryByLabelText('Token')).toBeNull();
  });

  it('revokes a token only after confirming, and lists it as revoked', async () => {
    const sent: Sent = [];
    const revoked = { ...TILL, active: false, revokedAt: '2026-12-02T09:00:00Z' };
    renderTokens(clientAnswering(answers({
      ApiTokens: () => tokens(sent.some((s) => s.name === 'RevokeApiToken') ? revoked : TILL),
      RevokeApiToken: { revokeApiToken: { token: revoked, errors: [] } },
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Revoke Till system' }));
    expect(sent.some((s) => s.name === 'RevokeApiToken')).toBe(false);
    const confirm = screen.getByRole('group', { name: /^Revoke Till system\?/ });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, revoke' }));
    const row = (await screen.findByText('Revoked')).closest('tr') as HTMLElement;
    expect(within(row).queryByRole('button')).toBeNull();
    expect(sent.find((s) => s.name === 'RevokeApiToken')?.variables).toEqual({ id: TILL.id });
  });

  it('moves keyboard focus to "Cancel" when asking, and back to "Revoke" when cancelled', async () => {
    const sent: Sent = [];
    renderTokens(clientAnswering(answers(), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Revoke Till system' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' })));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Revoke Till system' })));
    expect(sent.some((s) => s.name === 'RevokeApiToken')).toBe(false);
  });

  it('says when there are no tokens yet', () => {
    renderTokens(clientAnswering({ Me: meAs('ADMIN'), ApiTokens: tokens() }, []));
    expect(screen.getByText('No API tokens yet.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Create token' })).toBeTruthy();
  });

  it('tells an analyst it is for owners and admins, without asking the API', () => {
    const sent: Sent = [];
    renderTokens(clientAnswering({ Me: meAs('ANALYST') }, sent));
    expect(screen.getByTestId('admin-only').textContent).toBe('Only owners and admins can see and create API tokens.');
    expect(sent.map((s) => s.name)).toEqual(['Me']);
  });
});

describe('expiryOf', () => {
  it('is null for never, else that many days from now', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(expiryOf('never', now)).toBeNull();
    expect(expiryOf('30', now)).toBe('2027-01-01T10:00:00.000Z');
  });
});
