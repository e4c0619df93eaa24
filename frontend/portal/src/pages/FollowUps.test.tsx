import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { followUpPath, FollowUpsPage, INBOX_PAGE_SIZE, shownStatus } from './FollowUps';

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const LOW = { __typename: 'FollowUp', id: btoa(`FollowUp:${UUID}`), status: 'OPEN', title: 'Low score: 2 of 10',
  createdAt: '2026-12-02T08:00:00Z', updatedAt: '2026-12-02T08:00:00Z',
  store: { __typename: 'Store', id: 'S1', name: 'Nordlys Aarhus' }, assignee: null };
const FALLING = { ...LOW, id: 'Rm9sbG93VXA6Mg==', status: 'ACKNOWLEDGED', title: 'Store score falling', store: null,
  assignee: { __typename: 'Member', id: 'M1', name: 'Ingrid', email: 'ingrid@example.com' } };

function inbox(nodes: unknown[], hasNextPage = false, endCursor: string | null = null) {
  return { followUps: { __typename: 'FollowUpConnection', edges: nodes.map((node, i) => ({ __typename: 'FollowUpEdge',
    cursor: `c${i}`, node })), pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor } } };
}

function answers(extra: Answers = {}): Answers {
  return { Me: meAs('STORE_MANAGER'), FollowUps: inbox([LOW, FALLING]), ...extra };
}

function renderInbox(client: Client, at = '/portal/follow-ups') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[at]}>
          <Routes>
            <Route path="/portal/follow-ups" element={<FollowUpsPage />} />
            <Route path="/portal/follow-ups/:followUpId" element={<p>the follow-up page</p>} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const asked = (sent: Sent) => sent.filter((s) => s.name === 'FollowUps').at(-1)?.variables;

describe('the follow-up inbox', () => {
  it('shows the open follow-ups first, each with its status, store, time and assignee', () => {
    const sent: Sent = [];
    renderInbox(clientAnswering(answers(), sent));
    expect(asked(sent)).toEqual({ status: ['OPEN'], first: INBOX_PAGE_SIZE, after: null });
    expect(screen.getByRole('button', { name: 'Open' }).getAttribute('aria-pressed')).toBe('true');
    const items = within(screen.getByTestId('follow-ups')).getAllByRole('listitem');
    expect(items[0].textContent).toContain('Low score: 2 of 10');
    expect(items[0].textContent).toContain('Nordlys Aarhus');
    expect(items[0].textContent).toContain('Not assigned');
    expect(items[1].textContent).toContain('Acknowledged');
    expect(items[1].textContent).toContain('Assigned to Ingrid');
  });

  it('links each follow-up to its page', async () => {
    renderInbox(clientAnswering(answers(), []));
    const link = screen.getByRole('link', { name: 'Low score: 2 of 10' });
    expect(link.getAttribute('href')).toBe(`/portal/follow-ups/${UUID}`);
    fireEvent.click(link);
    expect(await screen.findByText('the follow-up page')).toBeTruthy();
  });

  it('filters by status, and all asks without one', async () => {
    const sent: Sent = [];
    renderInbox(clientAnswering(answers({
      FollowUps: (variables) => ((variables.status as string[] | null)?.[0] === 'RESOLVED' ? inbox([]) : inbox([LOW])),
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Resolved' }));
    expect((await screen.findByTestId('follow-ups-empty')).textContent).toBe('No resolved follow-ups yet.');
    expect(asked(sent)?.status).toEqual(['RESOLVED']);
    expect(screen.getByRole('button', { name: 'Resolved' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: 'Open' }).getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledged' }));
    await waitFor(() => expect(asked(sent)?.status).toEqual(['ACKNOWLEDGED']));
    fireEvent.click(screen.getByRole('button', { name: 'All' }));
    await waitFor(() => expect(asked(sent)?.status).toBeNull());
  });

  it('opens the status the address names', () => {
    const sent: Sent = [];
    renderInbox(clientAnswering(answers(), sent), '/portal/follow-ups?status=acknowledged');
    expect(asked(sent)?.status).toEqual(['ACKNOWLEDGED']);
  });

  it('says so when nothing is open', () => {
    renderInbox(clientAnswering(answers({ FollowUps: inbox([]) }), []));
    expect(screen.getByTestId('follow-ups-empty').textContent).toBe('No open follow-ups. Everything has been looked at.');
  });

  it('pages forwards with the end cursor', async () => {
    const sent: Sent = [];
    renderInbox(clientAnswering(answers({
      FollowUps: (variables) => (variables.after ? inbox([FALLING]) : inbox([LOW], true, 'end-of-1')),
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Store score falling')).toBeTruthy();
    expect(asked(sent)?.after).toBe('end-of-1');
    expect(screen.getByText('Page 2')).toBeTruthy();
  });

  it('shows an error with a retry', () => {
    renderInbox(clientAnswering(answers({ FollowUps: { error: true } }), []));
    expect(within(screen.getByRole('alert')).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('the link of a follow-up', () => {
  it('names its bare UUID as the emails do, and keeps an id it cannot read', () => {
    expect(followUpPath(btoa(`FollowUp:${UUID}`))).toBe(`/portal/follow-ups/${UUID}`);
    expect(followUpPath('not base64!')).toBe('/portal/follow-ups/not%20base64!');
  });
});

describe('the inbox status in the address', () => {
  it('is open unless it names another', () => {
    expect(shownStatus(null)).toBe('OPEN');
    expect(shownStatus('resolved')).toBe('RESOLVED');
    expect(shownStatus('all')).toBe('ALL');
    expect(shownStatus('closed')).toBe('OPEN');
  });
});
