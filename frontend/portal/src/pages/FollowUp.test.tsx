import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider, type Client } from 'urql';
import { fromValue } from 'wonka';
import { describe, expect, it } from 'vitest';

import { FollowUpPage } from './FollowUp';

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** A client answering from memory: the follow-up as the API would send it, and what each mutation was sent. */
function clientWith(status: string, sent: { name: string; variables: unknown }[]): Client {
  const followUp = { __typename: 'FollowUp', id: btoa(`FollowUp:${UUID}`), status, title: 'Low score: 2 of 10',
    reason: 'score 2', createdAt: '2026-12-02T08:00:00Z', acknowledgedAt: null, resolvedAt: null,
    store: { __typename: 'Store', id: 'S', name: 'Nordlys Aarhus' }, notes: [] };
  return {
    executeQuery: () => fromValue({ data: { followUp }, stale: false, hasNext: false }),
    executeMutation: (operation: { query: { definitions: { name?: { value: string } }[] }; variables: unknown }) => {
      sent.push({ name: operation.query.definitions[0].name?.value ?? '', variables: operation.variables });
      return fromValue({ data: { acknowledgeFollowUp: { followUp: { ...followUp, status: 'ACKNOWLEDGED' }, errors: [] } } });
    },
  } as unknown as Client;
}

function renderAt(client: Client) {
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={[`/portal/follow-ups/${UUID}`]}>
        <Routes><Route path="/portal/follow-ups/:followUpId" element={<FollowUpPage />} /></Routes>
      </MemoryRouter>
    </Provider>,
  );
}

describe('the follow-up page the emails link to', () => {
  it('shows the follow-up and acknowledges it by its global id', async () => {
    const sent: { name: string; variables: unknown }[] = [];
    renderAt(clientWith('OPEN', sent));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Low score: 2 of 10');
    expect(screen.getByTestId('follow-up-status').textContent).toBe('Open');
    expect(screen.queryByRole('button', { name: 'Mark as resolved' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await screen.findByRole('button', { name: 'Acknowledge' });
    expect(sent).toEqual([{ name: 'AcknowledgeFollowUp', variables: { id: btoa(`FollowUp:${UUID}`) } }]);
  });

  it('offers resolve once acknowledged', () => {
    renderAt(clientWith('ACKNOWLEDGED', []));
    expect(screen.getByRole('button', { name: 'Mark as resolved' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });
});
