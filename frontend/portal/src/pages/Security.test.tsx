import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { CombinedError, Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { sendToTwoStep } from '../graphql/client';
import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { groupedKey, SecurityPage, svgSource } from './Security';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M1 1h1"/></svg>';
const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const CODES = ['abcd-efgh-jkmn-pqrs', 'tuvw-xyz2-3456-789a'];

function status(enabled: boolean, left = 0) {
  return { me: { __typename: 'Me', id: 'U1', twoStep: { __typename: 'TwoStepStatus', enabled, recoveryCodesLeft: left } } };
}

function renderSecurity(client: Client, path = '/portal/security') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[path]}><SecurityPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(extra: Answers = {}): Answers {
  return { Me: meAs('STORE_MANAGER'), TwoStep: status(false), ...extra };
}

describe('the security page', () => {
  it('enrols: password, then the QR code and key, then a code, then the recovery codes once', async () => {
    const sent: Sent = [];
    renderSecurity(clientAnswering(answers({
      StartTotpEnrolment: { startTotpEnrolment: { enrolment: { uri: `otpauth://totp/Pejling:i?secret=${KEY}`, qrSvg: SVG,
        manualKey: KEY }, errors: [] } },
      ConfirmTotpEnrolment: { confirmTotpEnrolment: { recoveryCodes: CODES, errors: [] } },
    }), sent));
    fireEvent.change(await screen.findByLabelText('Password'), { target: { value: 'my password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    const qr = await screen.findByAltText('QR code for your authenticator app');
    expect(qr.getAttribute('src')).toBe(svgSource(SVG));
    expect(screen.getByTestId('manual-key').textContent).toBe(groupedKey(KEY));
    const code = screen.getByLabelText('Code from the app');
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    fireEvent.change(code, { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    expect(await screen.findByText('abcd-efgh-jkmn-pqrs')).toBeTruthy();
    expect(screen.getByText(/they will not be shown again/)).toBeTruthy();
    expect(sent.find((s) => s.name === 'StartTotpEnrolment')?.variables).toEqual({ password: 'my password' });
    expect(sent.find((s) => s.name === 'ConfirmTotpEnrolment')?.variables).toEqual({ code: '123 456' });
    fireEvent.click(screen.getByRole('button', { name: 'I have stored them' }));
    await waitFor(() => expect(screen.queryByText('abcd-efgh-jkmn-pqrs')).toBeNull());
  });

  it('shows a wrong password on its field and asks nothing more', async () => {
    renderSecurity(clientAnswering(answers({
      StartTotpEnrolment: { startTotpEnrolment: { enrolment: null, errors: [{ code: 'invalid_password',
        message: 'The password is wrong.', field: 'password' }] } },
    }), []));
    fireEvent.change(await screen.findByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText('The password is wrong.')).toBeTruthy();
    expect(screen.queryByAltText('QR code for your authenticator app')).toBeNull();
  });

  it('turns two-step login off with the password and a code', async () => {
    const sent: Sent = [];
    let enabled = true;
    renderSecurity(clientAnswering(answers({
      TwoStep: () => status(enabled, 7),
      DisableTotp: () => { enabled = false; return { disableTotp: { ok: true, errors: [] } }; },
    }), sent));
    expect(await screen.findByText('You have 7 unused recovery codes.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'my password' } });
    fireEvent.change(screen.getByLabelText('Code from the app or recovery code'), { target: { value: '654321' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    expect(await screen.findByText('Two-step login is off.')).toBeTruthy();
    expect(sent.find((s) => s.name === 'DisableTotp')?.variables).toEqual({ password: 'my password', code: '654321' });
  });
});

describe('a business that requires two-step login', () => {
  const rule = (required: boolean) => ({ tenant: { __typename: 'Tenant', id: 'T1', requireTwoStep: required } });

  it('sends a refused member to the security page once, and never away from it', () => {
    const refused = new CombinedError({ graphQLErrors: [{ message: 'x', extensions: { code: 'TWO_STEP_REQUIRED' } }] });
    const other = new CombinedError({ graphQLErrors: [{ message: 'x', extensions: { code: 'FORBIDDEN' } }] });
    const went: string[] = [];
    const at = (pathname: string) => ({ pathname, assign: (to: string) => went.push(to) }) as unknown as Location;
    sendToTwoStep(refused, at('/portal/responses'));
    sendToTwoStep(other, at('/portal/responses'));
    sendToTwoStep(refused, at('/portal/security'));
    expect(went).toEqual(['/portal/security?required=1']);
  });

  it('explains why the member was sent here', async () => {
    renderSecurity(clientAnswering(answers(), []), '/portal/security?required=1');
    expect((await screen.findByTestId('two-step-required')).textContent).toMatch(/requires two-step login/);
  });

  it('lets an owner who uses two-step login require it, and nobody else', async () => {
    const sent: Sent = [];
    renderSecurity(clientAnswering({
      Me: meAs('OWNER'), TwoStep: status(true, 8), TwoStepRule: rule(false),
      SetRequireTwoStep: { setRequireTwoStep: { ...rule(true), errors: [] } },
    }, sent));
    const toggle = await screen.findByLabelText('Require two-step login of every member');
    expect((toggle as HTMLInputElement).checked).toBe(false);
    fireEvent.click(toggle);
    await waitFor(() => expect(sent.find((s) => s.name === 'SetRequireTwoStep')?.variables).toEqual({ required: true }));
    expect(screen.queryByTestId('two-step-required')).toBeNull();
  });

  it('shows no switch to an admin', async () => {
    renderSecurity(clientAnswering({ Me: meAs('ADMIN'), TwoStep: status(true, 8), TwoStepRule: rule(false) }, []));
    expect(await screen.findByText('Two-step login is on.')).toBeTruthy();
    expect(screen.queryByLabelText('Require two-step login of every member')).toBeNull();
  });
});
