import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider, type Client } from 'urql';
import { fromValue } from 'wonka';
import { describe, expect, it } from 'vitest';

import { FollowUpPage } from './FollowUp';

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** A client answering from memory: the follow-up as the API would send it, and what each mutation was sent. */
const RESPONSE = { __typename: 'Response', id: 'UmVzcG9uc2U6MQ==', outcome: 2, comment: 'The queue was long',
  consentContact: true };

function clientWith(status: string, sent: { name: string; variables: unknown }[],
  response: typeof RESPONSE | null = null, answers: Record<string, unknown> = {}): Client {
  const followUp = { __typename: 'FollowUp', id: btoa(`FollowUp:${UUID}`), status, title: 'Low score: 2 of 10',
    reason: 'score 2', createdAt: '2026-12-02T08:00:00Z', acknowledgedAt: null, resolvedAt: null,
    store: { __typename: 'Store', id: 'S', name: 'Nordlys Aarhus' }, notes: [], response, replies: [] };
  return {
    executeQuery: () => fromValue({ data: { followUp }, stale: false, hasNext: false }),
    executeMutation: (operation: { query: { definitions: { name?: { value: string } }[] }; variables: unknown }) => {
      const name = operation.query.definitions[0].name?.value ?? '';
      sent.push({ name, variables: operation.variables });
      return fromValue({ data: answers[name]
        ?? { acknowledgeFollowUp: { followUp: { ...followUp, status: 'ACKNOWLEDGED' }, errors: [] } } });
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

  it('offers to reopen a resolved follow-up', async () => {
    const sent: { name: string; variables: unknown }[] = [];
    renderAt(clientWith('RESOLVED', sent, null, { ReopenFollowUp: { reopenFollowUp: { followUp: null, errors: [] } } }));
    fireEvent.click(screen.getByRole('button', { name: 'Reopen' }));
    await screen.findByRole('button', { name: 'Reopen' });
    expect(sent).toEqual([{ name: 'ReopenFollowUp', variables: { id: btoa(`FollowUp:${UUID}`) } }]);
  });

  it('shows the response and mails a reply to a shopper who asked to be contacted', async () => {
    const sent: { name: string; variables: unknown }[] = [];
    renderAt(clientWith('ACKNOWLEDGED', sent, RESPONSE,
      { ReplyToShopper: { replyToShopper: { reply: { id: 'R1' }, errors: [] } } }));
    expect(screen.getByTestId('follow-up-score').textContent).toBe('Score: 2 of 10');
    expect(screen.getByText('The queue was long')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Your reply to the shopper'), { target: { value: 'Sorry, we opened a till.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send the reply' }));
    expect(await screen.findByRole('status')).toBeTruthy();
    expect(sent).toEqual([{ name: 'ReplyToShopper', variables: { responseId: RESPONSE.id,
      followUpId: btoa(`FollowUp:${UUID}`), text: 'Sorry, we opened a till.', subject: null } }]);
  });

  it('offers no reply without the shopper\'s consent, and shows the API\'s refusal on its field', async () => {
    const { unmount } = renderAt(clientWith('OPEN', [], { ...RESPONSE, consentContact: false }));
    expect(screen.queryByRole('button', { name: 'Send the reply' })).toBeNull();
    expect(screen.getByText(/did not ask to be contacted/)).toBeTruthy();
    unmount();
    renderAt(clientWith('OPEN', [], RESPONSE, { ReplyToShopper: { replyToShopper: { reply: null,
      errors: [{ code: 'invalid', message: 'Write the reply.', field: 'text' }] } } }));
    fireEvent.change(screen.getByLabelText('Your reply to the shopper'), { target: { value: ' ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send the reply' }));
    expect(await screen.findByText('Write the reply.')).toBeTruthy();
  });

  it('adds a note for the team', async () => {
    const sent: { name: string; variables: unknown }[] = [];
    renderAt(clientWith('OPEN', sent, null, { AddFollowUpNote: { addFollowUpNote: { note: { id: 'N1' }, errors: [] } } }));
    expect(screen.getByText('No notes yet.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('A note for your team'), { target: { value: 'Called the store.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add the note' }));
    await screen.findByRole('button', { name: 'Add the note' });
    expect(sent).toEqual([{ name: 'AddFollowUpNote', variables: { id: btoa(`FollowUp:${UUID}`), text: 'Called the store.' } }]);
  });
});
