import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, type Answers, type Sent } from '../test-client';
import { LoginPage } from './Login';

function renderLogin(client: Client, url = '/login?next=/portal/team') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[url]}><LoginPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const CHALLENGE = { login: { me: null, secondFactor: { challenge: 'v1.abc.123.sig', expiresAt: '2026-12-03T09:05:00Z' },
  errors: [] } };

function answers(extra: Answers = {}): Answers {
  return { Me: { me: null }, Login: CHALLENGE, ...extra };
}

async function passwordStep() {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'my password' } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
  return screen.findByLabelText('Code from the app');
}

afterEach(() => vi.unstubAllGlobals());

describe('the login page with two-step login', () => {
  it('asks for the app code after the password and sends it with the challenge', async () => {
    const sent: Sent = [];
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderLogin(clientAnswering(answers({
      CompleteLogin: { completeLogin: { me: { id: 'U1', email: 'ingrid@example.com' }, errors: [] } },
    }), sent));
    const code = await passwordStep();
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(code.getAttribute('inputmode')).toBe('numeric');
    fireEvent.change(code, { target: { value: ' 123456 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/portal/team'));
    expect(sent.find((s) => s.name === 'CompleteLogin')?.variables).toEqual({ challenge: 'v1.abc.123.sig',
      code: '123456' });
  });

  it('shows a refused code, takes a recovery code instead, and offers a new login when the challenge expired', async () => {
    const sent: Sent = [];
    renderLogin(clientAnswering(answers({
      CompleteLogin: (variables) => ({ completeLogin: { me: null, errors: [variables.code === '000000'
        ? { code: 'invalid_code', message: 'The code is wrong or has been used.', field: 'code' }
        : { code: 'invalid_challenge', message: 'The login has expired. Log in again.', field: 'challenge' }] } }),
    }), sent));
    fireEvent.change(await passwordStep(), { target: { value: '000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('The code is wrong or has been used.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Use a recovery code instead' }));
    const recovery = screen.getByLabelText('Recovery code');
    fireEvent.change(recovery, { target: { value: 'abcd-efgh-jkmn-pqrs' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('The login has expired. Log in again.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Log in again' }));
    expect(await screen.findByLabelText('Email')).toBeTruthy();
  });

  it('goes on to a next page given in the fragment, where an invitation keeps its token from the server', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderLogin(clientAnswering(answers({
      Login: { login: { me: { id: 'U1', email: 'ingrid@example.com' }, secondFactor: null, errors: [] } },
    }), []), '/login#next=%2Faccept-invitation%23token%3Dabc123');
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'my password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/accept-invitation#token=abc123'));
  });

  it.each([
    '/login?next=/portal/team&next=/portal/billing', '/login?next=/portal/team&next=//evil.example',
    '/login?next=%2F%09%2Fevil.example', '/login?next=javascript:alert(1)',
  ])('goes to the start page from %s (a next given twice, or off this site)', async (url) => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderLogin(clientAnswering(answers({
      Login: { login: { me: { id: 'U1', email: 'ingrid@example.com' }, secondFactor: null, errors: [] } },
    }), []), url);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'my password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/portal'));
  });
});
