import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { currentTenant } from '../graphql/client';
import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Sent } from '../test-client';
import { AcceptInvitationPage } from './AcceptInvitation';

const NOBODY = { me: null };
const JOINED = { acceptInvitation: { me: { __typename: 'Me', id: 'U2', email: 'sofie@example.com' },
  tenant: { __typename: 'Tenant', id: 'T1', slug: 'nordlys', name: 'Nordlys' }, role: 'STORE_MANAGER', errors: [] } };

function refused(code: string, message: string, field = 'token') {
  return { acceptInvitation: { me: null, tenant: null, role: null, errors: [{ code, message, field }] } };
}

function renderAt(client: Client, url = '/accept-invitation#token=abc123') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[url]}>
          <Routes><Route path="/accept-invitation" element={<AcceptInvitationPage />} /></Routes>
        </MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

describe('the page the invitation mail links to', () => {
  it('lets a new person choose a name and password, and joins the tenant', async () => {
    const sent: Sent = [];
    sessionStorage.clear();
    renderAt(clientAnswering({ Me: NOBODY, AcceptInvitation: JOINED }, sent));
    fireEvent.change(screen.getByLabelText('Your name'), { target: { value: ' Sofie Hansen ' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'sunlit harbour quietly 42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    await screen.findByRole('button', { name: 'Join' });
    expect(sent.find((s) => s.name === 'AcceptInvitation')?.variables).toEqual(
      { token: 'abc123', password: 'sunlit harbour quietly 42', name: 'Sofie Hansen' });
    expect(currentTenant()).toBe('nordlys'); // the portal works in the tenant just joined
  });

  it('lets someone logged in accept with one button, sending only the token', async () => {
    const sent: Sent = [];
    renderAt(clientAnswering({ Me: meAs('ANALYST', 'sofie@example.com'), AcceptInvitation: JOINED }, sent));
    expect(screen.getByText(/You are logged in as sofie@example.com/)).toBeTruthy();
    expect(screen.queryByLabelText('New password')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Accept the invitation' }));
    await screen.findByRole('button', { name: 'Accept the invitation' });
    expect(sent.find((s) => s.name === 'AcceptInvitation')?.variables).toEqual({ token: 'abc123' });
  });

  it('says clearly that a used or expired invitation no longer works, and hides the form', async () => {
    renderAt(clientAnswering({ Me: NOBODY, AcceptInvitation: refused('invalid_token', 'This invitation is invalid.') }, []));
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'sunlit harbour quietly 42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^This invitation is invalid, has already been used/);
    expect(screen.queryByLabelText('New password')).toBeNull();
  });

  it('asks an address that has an account to log in first, and comes back here after', async () => {
    renderAt(clientAnswering({ Me: NOBODY, AcceptInvitation: refused('login_required', 'x has an account') }, []));
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'sunlit harbour quietly 42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'This address already has a Pejling account. Log in with it first, then accept.');
    // The way back holds the token in the login page's fragment too, so the server never sees it.
    expect(screen.getByRole('link', { name: 'Log in first' }).getAttribute('href')).toBe(
      '/login#next=%2Faccept-invitation%23token%3Dabc123');
  });

  it('shows a weak password next to the field', async () => {
    renderAt(clientAnswering({ Me: NOBODY,
      AcceptInvitation: refused('invalid', 'Use at least 12 characters.', 'password') }, []));
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect(await screen.findByText('Use at least 12 characters.')).toBeTruthy();
    expect(screen.getByLabelText('New password').getAttribute('aria-invalid')).toBe('true');
  });

  it('needs the link from the mail', () => {
    renderAt(clientAnswering({ Me: NOBODY }, []), '/accept-invitation');
    expect(screen.getByRole('alert').textContent).toBe('This page needs the link from your invitation email.');
  });
});
