// ASVS V14.2.1: the one-time token of a mailed link travels in the fragment, never to the server; the pages read it
// there (or, for links mailed before, from the query), post it in the GraphQL body and clear it from the address bar.
import { fireEvent, render, screen } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { linkToken } from '../linkToken';
import { SessionProvider } from '../session';
import { clientAnswering, type Sent } from '../test-client';
import { AcceptInvitationPage } from './AcceptInvitation';
import { ConfirmSignupPage } from './ConfirmSignup';
import { ResetPasswordPage } from './ResetPassword';

const NOBODY = { me: null };
const PASSWORD = 'sunlit harbour quietly 42';
const REFUSED = [{ code: 'invalid', message: 'This link no longer works.', field: 'token' }];

/** The address the router shows now (what the browser's address bar and history entry hold). */
function Address() {
  const location = useLocation();
  return <output data-testid="address">{location.pathname + location.search + location.hash}</output>;
}

function renderAt(client: Client, url: string, path: string, page: ReactElement) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[url]}>
          <Routes><Route path={path} element={<>{page}<Address /></>} /></Routes>
        </MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const PAGES = [
  { path: '/reset-password', page: <ResetPasswordPage />, mutation: 'ResetPassword', button: 'Save the new password',
    answer: { resetPassword: { ok: false, errors: REFUSED } }, sent: (token: string) => ({ token, newPassword: PASSWORD }) },
  { path: '/confirm-signup', page: <ConfirmSignupPage />, mutation: 'ConfirmSignup', button: 'Create my business',
    answer: { confirmSignup: { me: null, tenant: null, errors: REFUSED } },
    sent: (token: string) => ({ token, password: PASSWORD }) },
  { path: '/accept-invitation', page: <AcceptInvitationPage />, mutation: 'AcceptInvitation', button: 'Join',
    answer: { acceptInvitation: { me: null, tenant: null, role: null, errors: REFUSED } },
    sent: (token: string) => ({ token, password: PASSWORD, name: null }) },
];

describe('V14.2.1: mailed links carry their token in the fragment', () => {
  it('reads the token from the fragment first, then from the query of a link mailed before', () => {
    expect(linkToken('', '#token=abc')).toBe('abc');
    expect(linkToken('?token=old', '#token=new')).toBe('new');
    expect(linkToken('?token=old', '')).toBe('old');
    expect(linkToken('?other=1', '#next=%2Fportal')).toBe('');
  });

  it.each(PAGES.flatMap((p) => [[p.path, '#token=', p], [p.path, '?token=', p]] as const))(
    '%s with %s… posts the token in the body and clears it from the address bar', async (path, how, page) => {
      const sent: Sent = [];
      renderAt(clientAnswering({ Me: NOBODY, [page.mutation]: page.answer }, sent), `${path}${how}t0ken-42`, path,
        page.page);
      expect(screen.getByTestId('address').textContent).toBe(path);
      fireEvent.change(await screen.findByLabelText('New password'), { target: { value: PASSWORD } });
      fireEvent.click(screen.getByRole('button', { name: page.button }));
      await screen.findByRole('alert');
      expect(sent.find((s) => s.name === page.mutation)?.variables).toEqual(page.sent('t0ken-42'));
      expect(screen.getByTestId('address').textContent).toBe(path);
    });

  it('keeps the other parts of the address when it removes the token', () => {
    renderAt(clientAnswering({ Me: NOBODY }, []), '/reset-password?lang=nb#token=abc&x=1', '/reset-password',
      <ResetPasswordPage />);
    expect(screen.getByTestId('address').textContent).toBe('/reset-password?lang=nb#x=1');
  });
});
