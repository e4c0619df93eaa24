import { fireEvent, waitFor, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { TeamPage } from './Team';

const AARHUS = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus' };
const ODENSE = { __typename: 'Store', id: 'U3RvcmU6Yg==', name: 'Nordlys Odense' };

function team(invitations: unknown[] = []) {
  return {
    members: { edges: [
      { node: { __typename: 'Member', id: 'M1', email: 'ingrid@example.com', name: 'Ingrid', role: 'OWNER', stores: [] } },
      { node: { __typename: 'Member', id: 'M2', email: 'bo@example.com', name: 'Bo', role: 'STORE_MANAGER', stores: [ODENSE] } },
    ] },
    invitations: { edges: invitations.map((node) => ({ node })) },
    stores: { edges: [{ node: AARHUS }, { node: ODENSE }] },
  };
}

const PENDING = { __typename: 'Invitation', id: 'SW52OjE=', email: 'kari@example.com', role: 'ANALYST', status: 'PENDING',
  createdAt: '2026-12-01T08:00:00Z', expiresAt: '2026-12-08T08:00:00Z', stores: [] };

function renderTeam(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/team']}><TeamPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(role: string, extra: Answers = {}): Answers {
  return { Me: meAs(role), Team: team([PENDING]), ...extra };
}

describe('the team page', () => {
  it('lists the members with their roles, and a store manager\'s stores', () => {
    renderTeam(clientAnswering(answers('OWNER'), []));
    const members = within(screen.getByRole('region', { name: 'Members' })).getAllByRole('row').slice(1);
    const cells = (row: HTMLElement) => within(row).getAllByRole('cell').slice(0, 4).map((cell) => cell.textContent);
    expect(members.map(cells)).toEqual([
      ['Ingrid (you)', 'ingrid@example.com', 'Owner', 'All stores'], ['Bo', 'bo@example.com', 'Store manager', 'Nordlys Odense']]);
    const invitations = within(screen.getByRole('region', { name: 'Pending invitations' })).getAllByRole('row');
    expect(invitations[1].textContent).toContain('kari@example.com');
    expect(invitations[1].textContent).toContain('Waiting for an answer');
  });

  it('invites a store manager for the stores ticked, and says the mail went out', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('ADMIN', {
      InviteMember: { inviteMember: { invitation: { __typename: 'Invitation', id: 'SW52OjI=', email: 'sofie@example.com',
        role: 'STORE_MANAGER', status: 'PENDING' }, errors: [] } },
    }), sent));
    expect(screen.queryByRole('group', { name: 'Stores they manage' })).toBeNull();
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'sofie@example.com' } });
    fireEvent.change(screen.getByLabelText('Role'), { target: { value: 'STORE_MANAGER' } });
    const stores = screen.getByRole('group', { name: 'Stores they manage' });
    fireEvent.click(within(stores).getByLabelText('Nordlys Aarhus'));
    fireEvent.click(screen.getByRole('button', { name: 'Send invitation' }));
    expect((await screen.findByRole('status')).textContent).toBe('Invitation sent to sofie@example.com.');
    expect(sent.find((s) => s.name === 'InviteMember')?.variables).toEqual(
      { email: 'sofie@example.com', role: 'STORE_MANAGER', storeIds: [AARHUS.id] });
    expect(sent.filter((s) => s.name === 'Team').length).toBe(2); // the lists are read again
  });

  it('only lets an owner offer the owner role', () => {
    renderTeam(clientAnswering(answers('ADMIN'), []));
    const roles = within(screen.getByLabelText('Role')).getAllByRole('option').map((o) => o.textContent);
    expect(roles).toEqual(['Analyst', 'Store manager', 'Admin']);
  });

  it('shows the plan\'s seat limit as an alert, not as a problem with the address', async () => {
    const limit = 'The Pilot plan allows 2 members and invitations, and you have 2. Upgrade to Chain to add more.';
    renderTeam(clientAnswering(answers('OWNER', {
      InviteMember: { inviteMember: { invitation: null, errors: [{ code: 'plan_limit', message: limit, field: 'email' }] } },
    }), []));
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'sofie@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send invitation' }));
    expect((await screen.findByRole('alert')).textContent).toBe(limit);
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBeNull();
  });

  it('shows an error on the address next to the field', async () => {
    renderTeam(clientAnswering(answers('OWNER', {
      InviteMember: { inviteMember: { invitation: null,
        errors: [{ code: 'conflict', message: 'This person is already a member.', field: 'email' }] } },
    }), []));
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'bo@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send invitation' }));
    expect(await screen.findByText('This person is already a member.')).toBeTruthy();
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
  });

  it('revokes a pending invitation by its id', async () => {
    const sent: Sent = [];
    renderTeam(clientAnswering(answers('OWNER', {
      RevokeInvitation: { revokeInvitation: { invitation: { __typename: 'Invitation', id: PENDING.id, status: 'REVOKED',
        revokedAt: '2026-12-02T09:00:00Z' }, errors: [] } },
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Revoke the invitation to kari@example.com' }));
    expect((await screen.findByRole('status')).textContent).toBe('The invitation to kari@example.com no longer works.');
    expect(sent.find((s) => s.name === 'RevokeInvitation')?.variables).toEqual({ id: PENDING.id });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Pending invitations' })));
  });

  it('says when no invitation is waiting', () => {
    renderTeam(clientAnswering({ Me: meAs('OWNER'), Team: team([]) }, []));
    expect(screen.getByText('No invitations are waiting for an answer.')).toBeTruthy();
  });

  it('tells analysts and store managers it is for owners and admins, without asking the API', () => {
    for (const role of ['ANALYST', 'STORE_MANAGER']) {
      const sent: Sent = [];
      const { unmount } = renderTeam(clientAnswering(answers(role), sent));
      expect(screen.getByTestId('admin-only').textContent).toMatch(/^Only owners and admins/);
      expect(screen.queryByRole('link', { name: 'Team' })).toBeNull();
      expect(sent.map((s) => s.name)).toEqual(['Me']);
      unmount();
    }
  });

  it('offers the page in the navigation to owners and admins', () => {
    renderTeam(clientAnswering(answers('ADMIN'), []));
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((link) => link.textContent))
      .toEqual(['Stores', 'Channels', 'Responses', 'Follow-ups', 'Survey', 'Integrations', 'Team', 'API tokens', 'Privacy',
        'Billing', 'Security']);
  });

  it('offers to try again when the lists cannot be read', () => {
    renderTeam(clientAnswering({ Me: meAs('OWNER'), Team: { error: true } }, []));
    expect(screen.getByRole('alert').textContent).toContain('Something went wrong');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
