import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { TeamPage } from './Team';

const AARHUS = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus' };
const ODENSE = { __typename: 'Store', id: 'U3RvcmU6Yg==', name: 'Nordlys Odense' };
const INGRID = { __typename: 'Member', id: 'M1', email: 'ingrid@example.com', name: 'Ingrid', role: 'OWNER', stores: [] };
const BO = { __typename: 'Member', id: 'M2', email: 'bo@example.com', name: 'Bo', role: 'STORE_MANAGER', stores: [ODENSE] };
const KARI = { __typename: 'Member', id: 'M3', email: 'kari@example.com', name: 'Kari', role: 'ANALYST', stores: [] };
const MAJA = { __typename: 'Member', id: 'M4', email: 'maja@example.com', name: 'Maja', role: 'OWNER', stores: [] };

function team(members: unknown[]) {
  return {
    members: { edges: members.map((node) => ({ node })) },
    invitations: { edges: [] },
    stores: { edges: [{ node: AARHUS }, { node: ODENSE }] },
  };
}

function renderTeam(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/team']}><TeamPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(role: string, extra: Answers = {}, email = 'ingrid@example.com'): Answers {
  return { Me: meAs(role, email), Team: team([INGRID, BO, KARI]), ...extra };
}

const row = (name: string) => screen.getByRole('cell', { name: new RegExp(`^${name}`) }).closest('tr') as HTMLElement;
const updated = (member: object) => ({ updateMember: { member, errors: [] } });
const teamReads = (sent: Sent) => sent.filter((s) => s.name === 'Team').length;

describe('changing the team\'s members', () => {
  it('changes a store manager to analyst without stores, says so and reads the list again', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('OWNER', {
      UpdateMember: updated({ __typename: 'Member', id: 'M2', role: 'ANALYST', stores: [] }),
    }), sent));
    const change = within(row('Bo')).getByRole('button', { name: 'Change role of Bo' });
    expect(change.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(change);
    expect(change.getAttribute('aria-expanded')).toBe('true');
    const editor = screen.getByRole('form', { name: 'Change the role of Bo' });
    expect((within(editor).getByLabelText('New role') as HTMLSelectElement).value).toBe('STORE_MANAGER');
    expect((within(editor).getByLabelText('Nordlys Odense') as HTMLInputElement).checked).toBe(true);
    fireEvent.change(within(editor).getByLabelText('New role'), { target: { value: 'ANALYST' } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toBe('The role of Bo is now Analyst.');
    expect(sent.find((s) => s.name === 'UpdateMember')?.variables).toEqual({ id: 'M2', role: 'ANALYST', storeIds: null });
    expect(screen.queryByRole('form', { name: 'Change the role of Bo' })).toBeNull();
    expect(document.activeElement).toBe(change);
    expect(teamReads(sent)).toBe(2);
  });

  it('makes an analyst store manager of the stores ticked, and asks for one before sending none', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('ADMIN', {
      UpdateMember: updated({ __typename: 'Member', id: 'M3', role: 'STORE_MANAGER', stores: [AARHUS] }),
    }, 'anna@example.com'), sent));
    fireEvent.click(within(row('Kari')).getByRole('button', { name: 'Change role of Kari' }));
    const editor = screen.getByRole('form', { name: 'Change the role of Kari' });
    expect(within(editor).getAllByRole('option').map((o) => o.textContent)).toEqual(['Analyst', 'Store manager', 'Admin']);
    fireEvent.change(within(editor).getByLabelText('New role'), { target: { value: 'STORE_MANAGER' } });
    const stores = within(editor).getByRole('group', { name: 'Stores they manage' });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    expect(within(stores).getByText('Choose at least one store for a store manager.')).toBeTruthy();
    expect(sent.some((s) => s.name === 'UpdateMember')).toBe(false);
    fireEvent.click(within(stores).getByLabelText('Nordlys Aarhus'));
    fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toBe('The role of Kari is now Store manager.');
    expect(sent.find((s) => s.name === 'UpdateMember')?.variables).toEqual(
      { id: 'M3', role: 'STORE_MANAGER', storeIds: [AARHUS.id] });
  });

  it('removes a member only after the dialog is confirmed, then says so and keeps focus in the list', async () => {
    const sent: Sent = [];
    let removed = false;
    renderTeam(clientAnswering(answers('OWNER', {
      Team: () => team(removed ? [INGRID, KARI] : [INGRID, BO, KARI]),
      RemoveMember: () => {
        removed = true;
        return { removeMember: { deletedId: 'M2', errors: [] } };
      },
    }), sent));
    fireEvent.click(within(row('Bo')).getByRole('button', { name: 'Remove Bo' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove Bo from the team?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(sent.some((s) => s.name === 'RemoveMember')).toBe(false);
    fireEvent.click(within(row('Bo')).getByRole('button', { name: 'Remove Bo' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes, remove' }));
    expect((await screen.findByRole('status')).textContent).toBe('Bo was removed from the team.');
    expect(sent.find((s) => s.name === 'RemoveMember')?.variables).toEqual({ id: 'M2' });
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'Bo' })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Members' })));
  });

  it('shows the API\'s refusal next to the member, in the reader\'s language for its known codes', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('OWNER', {
      Team: team([INGRID, MAJA, BO]),
      UpdateMember: { updateMember: { member: null,
        errors: [{ code: 'conflict', message: 'A tenant needs at least one owner.', field: 'role' }] } },
      RemoveMember: { removeMember: { deletedId: null,
        errors: [{ code: 'throttled', message: 'Too many changes: try again in a minute.', field: null }] } },
    }), sent));
    fireEvent.click(within(row('Maja')).getByRole('button', { name: 'Change role of Maja' }));
    const editor = screen.getByRole('form', { name: 'Change the role of Maja' });
    fireEvent.change(within(editor).getByLabelText('New role'), { target: { value: 'ADMIN' } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    const refusal = await screen.findByRole('alert');
    expect(refusal.textContent).toBe('A business needs at least one owner. Make someone else an owner first.');
    // next to Maja: in the row right under hers
    expect(refusal.closest('tr')?.previousElementSibling).toBe(row('Maja'));
    expect(screen.getByRole('form', { name: 'Change the role of Maja' })).toBeTruthy(); // still open to try again

    fireEvent.click(within(row('Bo')).getByRole('button', { name: 'Remove Bo' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Yes, remove' }));
    await waitFor(() => expect(screen.getAllByRole('alert').map((a) => a.textContent))
      .toContain('Too many changes: try again in a minute.'));
    expect(screen.getByRole('cell', { name: 'Bo' })).toBeTruthy();
  });

  it('shows an unknown store refused by the API on the store choice', async () => {
    renderTeam(clientAnswering(answers('OWNER', {
      UpdateMember: { updateMember: { member: null,
        errors: [{ code: 'not_found', message: 'One of the stores was not found.', field: 'storeIds' }] } },
    }), []));
    fireEvent.click(within(row('Kari')).getByRole('button', { name: 'Change role of Kari' }));
    const editor = screen.getByRole('form', { name: 'Change the role of Kari' });
    fireEvent.change(within(editor).getByLabelText('New role'), { target: { value: 'STORE_MANAGER' } });
    fireEvent.click(within(editor).getByLabelText('Nordlys Odense'));
    fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    const stores = within(editor).getByRole('group', { name: 'Stores they manage' });
    expect(await within(stores).findByText('One of the stores was not found.')).toBeTruthy();
    expect(stores.getAttribute('aria-describedby')).toBeTruthy();
  });

  it('gives an admin no way to change, remove or log out an owner, and says why', () => {
    renderTeam(clientAnswering(answers('ADMIN', {}, 'anna@example.com'), []));
    const owner = row('Ingrid');
    expect(within(owner).queryAllByRole('button')).toEqual([]);
    expect(owner.textContent).toContain('Only an owner can change, remove or log out an owner.');
    expect(within(row('Bo')).getAllByRole('button').map((b) => b.textContent)).toEqual(
      ['Change role of Bo', 'Remove Bo', 'Log out everywhere for Bo']);
  });

  it('keeps the only owner from being changed or removed, with the reason read with the button', () => {
    renderTeam(clientAnswering(answers('OWNER'), []));
    const change = within(row('Ingrid')).getByRole('button', { name: 'Change role of Ingrid' }) as HTMLButtonElement;
    expect(change.disabled).toBe(true);
    expect((within(row('Ingrid')).getByRole('button', { name: 'Remove Ingrid' }) as HTMLButtonElement).disabled).toBe(true);
    const reason = document.getElementById(change.getAttribute('aria-describedby') ?? '');
    expect(reason?.textContent).toBe('The only owner: make someone else an owner before changing or removing them.');
    expect((within(row('Ingrid')).getByRole('button', { name: /^Log out everywhere/ }) as HTMLButtonElement).disabled)
      .toBe(false);
  });

  it('logs a member out everywhere and says how many browsers were ended', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('OWNER', {
      EndMemberSessions: (variables) =>
        ({ endMemberSessions: { ended: variables.memberId === 'M1' ? 1 : 2, errors: [] } }),
    }), sent));
    fireEvent.click(within(row('Bo')).getByRole('button', { name: 'Log out everywhere for Bo' }));
    expect((await screen.findByRole('status')).textContent).toBe('Bo was logged out of 2 browsers.');
    expect(sent.find((s) => s.name === 'EndMemberSessions')?.variables).toEqual({ memberId: 'M2' });
    fireEvent.click(within(row('Ingrid')).getByRole('button', { name: 'Log out everywhere for Ingrid' }));
    expect(await screen.findByText('Logged out of 1 other browser. This one stays logged in.')).toBeTruthy();
  });

  it('shows an owner-only refusal of logging out in the reader\'s words', async () => {
    renderTeam(clientAnswering(answers('ADMIN', {
      EndMemberSessions: { endMemberSessions: { ended: 0,
        errors: [{ code: 'forbidden', message: 'Only an owner can end an owner\'s sessions.', field: 'memberId' }] } },
    }, 'anna@example.com'), []));
    fireEvent.click(within(row('Kari')).getByRole('button', { name: 'Log out everywhere for Kari' }));
    expect((await screen.findByRole('alert')).textContent)
      .toBe('Only an owner can do this to an owner, or make someone an owner.');
  });
});
