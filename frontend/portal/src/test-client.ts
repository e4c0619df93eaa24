// For Vitest: a urql client answering from memory, as the API would, and keeping what each operation was sent.
import type { Client } from 'urql';
import { concat, fromValue, never, type Source } from 'wonka';

type Operation = { query: { definitions: { name?: { value: string } }[] }; variables: Record<string, unknown> };
/** An answer's `data`, or `{ error: true }` for a request that fails (e.g. the network). */
type Answer = Record<string, unknown> | { error: true };
export type Answers = Record<string, Answer | ((variables: Record<string, unknown>) => Answer)>;
export type Sent = { name: string; variables: Record<string, unknown> }[];

const nameOf = (operation: Operation) => operation.query.definitions[0].name?.value ?? '';

/** The logged-in person of the `me` query, with `role` in the tenant "nordlys". */
export function meAs(role: string, email = 'ingrid@example.com') {
  return { me: { __typename: 'Me', id: 'U1', email, name: 'Ingrid', memberships: [{ __typename: 'AccountMembership', role,
    tenant: { __typename: 'Tenant', id: 'T1', name: 'Nordlys', slug: 'nordlys', defaultLanguage: 'en' } }] } };
}

/** A client answering each operation by its name from `answers` and recording it in `sent`. */
export function clientAnswering(answers: Answers, sent: Sent): Client {
  const answer = (operation: Operation): Source<unknown> => {
    sent.push({ name: nameOf(operation), variables: operation.variables });
    const found = answers[nameOf(operation)];
    if (found === undefined) {
      throw new Error(`no answer for ${nameOf(operation)}`);
    }
    const value = typeof found === 'function' ? found(operation.variables) : found;
    if ('error' in value && value.error === true) {
      return fromValue({ operation, error: new Error('Network error'), stale: false, hasNext: false });
    }
    return fromValue({ operation, data: value, stale: false, hasNext: false });
  };
  // A query's stream stays open, as the real client's does (urql forgets an error once its stream ends).
  const query = (operation: Operation) => concat([answer(operation), never]);
  return { executeQuery: query, executeMutation: answer } as unknown as Client;
}
