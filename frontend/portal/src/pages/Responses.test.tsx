import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { apiFilter, filtersFrom, PAGE_SIZE, ResponsesPage } from './Responses';

const AARHUS = { __typename: 'Store', id: 'U3RvcmU6MQ==', name: 'Nordlys Aarhus', slug: 'aarhus', address: '',
  timezone: 'Europe/Copenhagen', defaultLanguage: 'da',
  zones: [{ __typename: 'Zone', id: 'Wm9uZTox', name: 'Checkout', kind: 'checkout' }] };
const ODENSE = { ...AARHUS, id: 'U3RvcmU6Mg==', name: 'Nordlys Odense', slug: 'odense', zones: [] };
const QUEUE = { __typename: 'Response', id: 'UmVzcG9uc2U6MQ==', receiptCode: 'K7Q-4MZ', submittedAt: '2026-12-02T09:30:00Z',
  channel: 'qr', language: 'da', outcome: 3, comment: 'The queue was long.', qualityFlags: [], verifiedVisit: false,
  store: { __typename: 'Store', id: AARHUS.id, name: AARHUS.name }, zone: { __typename: 'Zone', id: 'Wm9uZTox', name: 'Checkout' } };
const FAST = { ...QUEUE, id: 'UmVzcG9uc2U6Mg==', receiptCode: 'P2D-9XA', outcome: null, comment: '', language: 'sv',
  qualityFlags: ['fast_taps', 'plugin_flag'], zone: null };

function page(nodes: unknown[], hasNextPage = false, endCursor: string | null = null) {
  return { responses: { __typename: 'ResponseConnection', edges: nodes.map((node, i) => ({ __typename: 'ResponseEdge',
    cursor: `c${i}`, node })), pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor } } };
}

function answers(extra: Answers = {}): Answers {
  return { Me: meAs('ADMIN'), Stores: { stores: { edges: [{ node: AARHUS }, { node: ODENSE }] } },
    Responses: page([QUEUE, FAST]), ...extra };
}

function renderResponses(client: Client, at = '/portal/responses') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[at]}><ResponsesPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const lastFilter = (sent: Sent) => sent.filter((s) => s.name === 'Responses').at(-1)?.variables.filter;

describe('the responses page', () => {
  it('lists each response with its store, zone, score, comment, language and quality flags', () => {
    const sent: Sent = [];
    renderResponses(clientAnswering(answers(), sent));
    const rows = within(screen.getByTestId('responses')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('K7Q-4MZ');
    expect(rows[0].textContent).toContain('Nordlys AarhusCheckout');
    expect(rows[0].textContent).toContain('3 of 10');
    expect(rows[0].textContent).toContain('The queue was long.');
    expect(rows[0].textContent).toContain('None');
    expect(rows[1].textContent).toContain('—');
    expect(rows[1].textContent).toContain('No comment');
    expect(rows[1].textContent).toContain('Swedish');
    expect(rows[1].textContent).toContain('Answered very fast, plugin_flag');
    // The default: the last 30 days, a page of PAGE_SIZE.
    const asked = sent.find((s) => s.name === 'Responses')?.variables;
    expect(asked?.first).toBe(PAGE_SIZE);
    expect(asked?.after).toBeNull();
    expect(Object.keys(asked?.filter as object)).toEqual(['since']);
  });

  it('sends each filter the way the API takes it, the zones being the chosen store\'s', async () => {
    const sent: Sent = [];
    renderResponses(clientAnswering(answers(), sent));
    const zone = screen.getByLabelText('Zone') as HTMLSelectElement;
    expect(zone.disabled).toBe(true); // a zone is one store's: choose the store first
    fireEvent.change(screen.getByLabelText('Store'), { target: { value: AARHUS.id } });
    await waitFor(() => expect(lastFilter(sent)).toMatchObject({ storeIds: [AARHUS.id] }));
    expect(within(screen.getByLabelText('Zone')).getAllByRole('option').map((o) => o.textContent))
      .toEqual(['All zones', 'Checkout']);
    fireEvent.change(screen.getByLabelText('Zone'), { target: { value: 'Wm9uZTox' } });
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'yes' } });
    fireEvent.change(screen.getByLabelText('Quality'), { target: { value: 'no' } });
    fireEvent.change(screen.getByLabelText("Shopper's language"), { target: { value: 'sv' } });
    fireEvent.change(screen.getByLabelText('Period'), { target: { value: 'all' } });
    await waitFor(() => expect(lastFilter(sent)).toEqual(
      { storeIds: [AARHUS.id], zoneIds: ['Wm9uZTox'], languages: ['sv'], hasComment: true, flagged: false }));
    // Another store forgets the zone of the first.
    fireEvent.change(screen.getByLabelText('Store'), { target: { value: ODENSE.id } });
    await waitFor(() => expect(lastFilter(sent)).toEqual(
      { storeIds: [ODENSE.id], languages: ['sv'], hasComment: true, flagged: false }));
  });

  it('reads the filters from the address, so a link opens them', () => {
    const sent: Sent = [];
    renderResponses(clientAnswering(answers(), sent),
      `/portal/responses?store=${AARHUS.id}&period=all&quality=yes&language=nb`);
    expect((screen.getByLabelText('Quality') as HTMLSelectElement).value).toBe('yes');
    expect((screen.getByLabelText("Shopper's language") as HTMLSelectElement).value).toBe('nb');
    expect(lastFilter(sent)).toEqual({ storeIds: [AARHUS.id], languages: ['nb'], flagged: true });
  });

  it('pages forwards with the end cursor and back to the first page', async () => {
    const sent: Sent = [];
    renderResponses(clientAnswering(answers({
      Responses: (variables) => (variables.after ? page([FAST]) : page([QUEUE], true, 'end-of-1')),
    }), sent));
    expect(screen.getByText('Page 1')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Page 2')).toBeTruthy();
    expect(sent.filter((s) => s.name === 'Responses').at(-1)?.variables.after).toBe('end-of-1');
    expect(screen.getByTestId('responses').textContent).toContain('P2D-9XA');
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByText('Page 1')).toBeTruthy();
    expect(screen.getByTestId('responses').textContent).toContain('K7Q-4MZ');
  });

  it('has no page buttons when everything fits on one page', () => {
    renderResponses(clientAnswering(answers(), []));
    expect(screen.queryByRole('navigation', { name: 'Pages of responses' })).toBeNull();
  });

  it('says when nothing matches, and when there is nothing at all', () => {
    renderResponses(clientAnswering(answers({ Responses: page([]) }), []));
    expect(screen.getByTestId('responses-empty').textContent).toBe(
      'No responses match these filters. Try a longer period or fewer filters.');
  });

  it('says there are no responses yet when no filter narrows the list', () => {
    renderResponses(clientAnswering(answers({ Responses: page([]) }), []), '/portal/responses?period=all');
    expect(screen.getByTestId('responses-empty').textContent).toBe(
      'No responses yet. They appear here as soon as shoppers answer.');
  });

  it('shows an error with a retry that asks again', async () => {
    let failing = true;
    const sent: Sent = [];
    renderResponses(clientAnswering(answers({ Responses: () => (failing ? { error: true } : page([QUEUE])) }), sent));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Something went wrong');
    failing = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('K7Q-4MZ')).toBeTruthy();
  });

  it('exports what the filters cover as CSV and follows its progress to the download link', async () => {
    const sent: Sent = [];
    const started = { __typename: 'Export', id: 'RXhwb3J0OjE=', status: 'QUEUED', progress: 0, rowsDone: 0,
      rowsTotal: null, downloadUrl: null };
    const steps = [
      { ...started, status: 'RUNNING', progress: 0.5, rowsDone: 1, rowsTotal: 2 },
      { ...started, status: 'SUCCEEDED', progress: 1, rowsDone: 2, rowsTotal: 2,
        downloadUrl: 'http://pejling.example/api/exports/RXhwb3J0OjE=/download?tenant=nordlys' },
    ];
    let asked = 0;
    renderResponses(clientAnswering(answers({
      StartResponseExport: { startExport: { export: started, errors: [] } },
      ResponseExport: () => ({ export: steps[Math.min(asked++, steps.length - 1)] }),
    }), sent), '/portal/responses?period=all&comment=yes');
    fireEvent.click(screen.getByRole('button', { name: 'Export these responses' }));
    const bar = await screen.findByRole('progressbar', { name: 'Export progress' });
    expect(await screen.findByText('1 of 2 responses')).toBeTruthy();
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect((screen.getByRole('button', { name: 'Export these responses' }) as HTMLButtonElement).disabled).toBe(true);
    const link = await screen.findByRole('link', { name: 'Download the CSV file' }, { timeout: 4000 });
    expect(link.getAttribute('href')).toBe('/api/exports/RXhwb3J0OjE=/download?tenant=nordlys');
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
    expect(sent.find((s) => s.name === 'StartResponseExport')?.variables).toEqual({ filter: { hasComment: true } });
  });

  it('shows the export\'s typed error', async () => {
    renderResponses(clientAnswering(answers({
      StartResponseExport: { startExport: { export: null, errors: [{ code: 'invalid', field: 'format',
        message: 'At most 5 exports can run at once; wait for one.' }] } },
    }), []));
    fireEvent.click(screen.getByRole('button', { name: 'Export these responses' }));
    expect((await screen.findByRole('alert')).textContent).toBe('At most 5 exports can run at once; wait for one.');
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('offers Responses and Follow-ups in the navigation to every member, before Team', () => {
    renderResponses(clientAnswering(answers(), []));
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent).slice(0, 7))
      .toEqual(['Stores', 'Channels', 'Responses', 'Follow-ups', 'Survey', 'Integrations', 'Team']);
    expect(within(nav).getByRole('link', { name: 'Responses' }).getAttribute('href')).toBe('/portal/responses');
    expect(within(nav).getByRole('link', { name: 'Follow-ups' }).getAttribute('href')).toBe('/portal/follow-ups');
  });

  it('shows a store manager the same page (the API narrows it to their stores)', () => {
    renderResponses(clientAnswering(answers({ Me: meAs('STORE_MANAGER') }), []));
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent)).toEqual(['Stores', 'Responses', 'Follow-ups', 'Security']);
    expect(screen.getByTestId('responses')).toBeTruthy();
  });
});

describe('the responses filter', () => {
  it('starts a period at local midnight of its first day, and all time has no start', () => {
    const today = new Date(2026, 11, 3, 15, 20);
    const filters = filtersFrom(new URLSearchParams('period=7d'));
    expect(apiFilter(filters, today)).toEqual({ since: new Date(2026, 10, 27).toISOString() });
    expect(apiFilter({ ...filters, period: 'all' }, today)).toEqual({});
  });

  it('falls back to the defaults for values it does not know', () => {
    expect(filtersFrom(new URLSearchParams('period=5y&comment=maybe&quality=&language=fi')))
      .toEqual({ store: '', zone: '', language: '', period: '30d', comment: 'any', quality: 'any' });
  });
});
