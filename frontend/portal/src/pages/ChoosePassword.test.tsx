import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import i18next from 'i18next';
import { MemoryRouter } from 'react-router';
import { CombinedError, Provider, type Client } from 'urql';
import { never } from 'wonka';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { sendToChoosePassword } from '../graphql/client';
import { PortalRoutes } from '../routes';
import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';

type Operation = { query: { definitions: { name?: { value: string } }[] } };

/** The `me` of a person who logged in with a generated password (or, `required: false`, has their own). */
function given(required = true) {
  const { me } = meAs('OWNER');
  return { me: { ...me, passwordChangeRequired: required } };
}

/** Answers from `answers`; a query it has no answer for stays loading (the pages behind are not the point). */
function clientKnowing(answers: Answers, sent: Sent): Client {
  const known = clientAnswering(answers, sent);
  const nameOf = (operation: Operation) => operation.query.definitions[0].name?.value ?? '';
  return {
    executeQuery: (operation: Operation) => (nameOf(operation) in answers ? known.executeQuery(operation as never)
      : never),
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

function stubAssign() {
  const assign = vi.fn();
  vi.stubGlobal('location', { ...window.location, assign });
  return assign;
}

const changed = { changePassword: { ok: true, errors: [] } };

afterEach(async () => {
  vi.unstubAllGlobals();
  await i18next.changeLanguage('en');
});

describe('the choose-password page', () => {
  it('is where a person with a generated password lands from any portal page, with no navigation but logout',
    async () => {
      renderAt(clientKnowing({ Me: given() }, []), '/portal/team');
      expect(await screen.findByRole('heading', { level: 1, name: 'Choose your own password' })).toBeTruthy();
      expect(screen.queryByRole('navigation')).toBeNull();
      expect(screen.queryByRole('link', { name: 'Pejling' })).toBeNull();
      expect(screen.getByRole('button', { name: 'Log out' }).closest('header')).not.toBeNull();
    });

  it('changes the password with the given one and goes on to where the person was going', async () => {
    const sent: Sent = [];
    const assign = stubAssign();
    renderAt(clientKnowing({ Me: given(), ChangePassword: changed }, sent), '/portal/team?tab=members');
    const current = await screen.findByLabelText('The password you were given') as HTMLInputElement;
    const fresh = screen.getByLabelText('New password') as HTMLInputElement;
    expect([current.type, current.autocomplete, fresh.type, fresh.autocomplete]).toEqual(
      ['password', 'current-password', 'password', 'new-password']);
    expect(document.activeElement).toBe(current); // typing can start at once
    fireEvent.change(current, { target: { value: 'Gk3v_generated' } });
    fireEvent.change(fresh, { target: { value: 'sunlit harbour quietly 42' } });
    fireEvent.submit(fresh.form as HTMLFormElement); // Enter in a field submits the form
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/portal/team?tab=members'));
    expect(sent.find((s) => s.name === 'ChangePassword')?.variables).toEqual(
      { currentPassword: 'Gk3v_generated', newPassword: 'sunlit harbour quietly 42' });
  });

  it('shows a refusal on its field, and for an expired password the way to a reset', async () => {
    const assign = stubAssign();
    const refusals = [
      { code: 'invalid', field: 'newPassword', message: 'Choose a new password, not the one you have now.' },
      { code: 'password_expired', field: 'currentPassword', message: 'This password was generated for you and has expired.' },
    ];
    let answer = 0;
    renderAt(clientKnowing({ Me: given(), ChangePassword: () => ({ changePassword: {
      ok: false, errors: [refusals[answer++]] } }) }, []), '/portal/choose-password?next=/portal');
    const fresh = await screen.findByLabelText('New password');
    fireEvent.change(screen.getByLabelText('The password you were given'), { target: { value: 'same one here' } });
    fireEvent.change(fresh, { target: { value: 'same one here' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save my password' }));
    await waitFor(() => expect(fresh.getAttribute('aria-invalid')).toBe('true'));
    expect(fresh.getAttribute('aria-describedby')).toContain('-error');
    expect(screen.getByText('Choose a new password, not the one you have now.')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Get a new password by email' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Save my password' }));
    const reset = await screen.findByRole('link', { name: 'Get a new password by email' });
    expect(reset.getAttribute('href')).toBe('/reset-password');
    expect(screen.getByLabelText('The password you were given').getAttribute('aria-invalid')).toBe('true');
    expect(assign).not.toHaveBeenCalled();
  });

  it('follows only paths of this site afterwards', async () => {
    const assign = stubAssign();
    renderAt(clientKnowing({ Me: given(), ChangePassword: changed }, []),
      `/portal/choose-password?next=${encodeURIComponent('//evil.example/x')}`);
    fireEvent.change(await screen.findByLabelText('The password you were given'), { target: { value: 'a' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'sunlit harbour quietly 42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save my password' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/portal'));
  });

  it('sends a person who has their own password on at once', async () => {
    renderAt(clientKnowing({ Me: given(false) }, []), '/portal/choose-password?next=/portal/no-such-page');
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy();
  });

  it.each([
    ['da', 'Vælg din egen adgangskode', 'Den adgangskode, du har fået', 'Gem min adgangskode'],
    ['nb', 'Velg ditt eget passord', 'Passordet du har fått', 'Lagre passordet mitt'],
    ['sv', 'Välj ditt eget lösenord', 'Lösenordet du har fått', 'Spara mitt lösenord'],
  ])('speaks %s', async (language, title, label, button) => {
    await i18next.changeLanguage(language);
    renderAt(clientKnowing({ Me: given() }, []), '/portal/choose-password');
    expect(await screen.findByRole('heading', { level: 1, name: title })).toBeTruthy();
    expect(screen.getByLabelText(label)).toBeTruthy();
    expect(screen.getByRole('button', { name: button })).toBeTruthy();
  });

  it('has no accessibility violations axe-core can see without a layout engine', async () => {
    const { container } = renderAt(clientKnowing({ Me: given() }, []), '/portal/choose-password');
    await screen.findByLabelText('The password you were given');
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.passes.map((p) => p.id)).toContain('label'); // it did look at the form
    expect(result.violations.map((v) => v.id)).toEqual([]);
  });
});

describe('the way there', () => {
  it('sends the person from a refused operation once, keeping where they were, and never away from the page', () => {
    const refused = new CombinedError({ graphQLErrors: [{ message: 'x', extensions: { code: 'PASSWORD_CHANGE_REQUIRED' } }] });
    const other = new CombinedError({ graphQLErrors: [{ message: 'x', extensions: { code: 'TWO_STEP_REQUIRED' } }] });
    const went: string[] = [];
    const at = (pathname: string, search = '') => ({ pathname, search, assign: (to: string) => went.push(to) }) as
      unknown as Location;
    sendToChoosePassword(refused, at('/portal/responses', '?page=2'));
    sendToChoosePassword(other, at('/portal/responses'));
    sendToChoosePassword(refused, at('/portal/choose-password'));
    expect(went).toEqual([`/portal/choose-password?next=${encodeURIComponent('/portal/responses?page=2')}`]);
  });

  it('goes straight to the page after logging in with a generated password', async () => {
    const assign = stubAssign();
    renderAt(clientKnowing({ Me: { me: null }, Login: { login: { me: { __typename: 'Me', id: 'U1', email: 'ingrid@example.com',
      passwordChangeRequired: true }, secondFactor: null, errors: [] } } }, []), '/login?next=/portal/team');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'Gk3v_generated' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(
      `/portal/choose-password?next=${encodeURIComponent('/portal/team')}`));
  });

  it('shows why an expired generated password does not log in, next to the reset link', async () => {
    const message = 'This password was generated for you and has expired.';
    renderAt(clientKnowing({ Me: { me: null }, Login: { login: { me: null, secondFactor: null,
      errors: [{ code: 'password_expired', message, field: null }] } } }, []), '/login');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ingrid@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'Gk3v_generated' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const form = (await screen.findByText(message)).closest('form') as HTMLFormElement;
    expect(within(form).getByRole('link', { name: 'Forgot your password?' })).toBeTruthy();
  });
});
