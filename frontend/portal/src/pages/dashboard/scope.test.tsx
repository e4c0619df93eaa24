import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../../session';
import { clientAnswering, meAs, type Sent } from '../../test-client';
import { DashboardPage } from '../Dashboard';

const STORE_ID = 'U3RvcmU6YQ==';
const ZONE_ID = 'Wm9uZTox';
const estimate = { value: null, low: null, high: null, n: 0, sufficient: false, note: null };
const INSIGHTS = {
  n: 0, nFlagged: 0, periodFrom: '2026-11-04', periodTo: '2026-12-03', optimise: [],
  nps: { ...estimate, promoters: 0, passives: 0, detractors: 0 },
  profile: { n: 0, sufficient: false, note: null, items: [] },
  drivers: { n: 0, sufficient: false, basis: 'scope', note: null, drivers: [] }, map: [], models: [],
  trends: { weekly: [] }, storeChanges: [],
};

class QuietEventSource {
  onerror: (() => void) | null = null;
  addEventListener() {}
  close() {}
}

function renderDashboard(role: string, sent: Sent, query = '') {
  return render(
    <Provider value={clientAnswering({
      Me: meAs(role),
      Dashboard: { store: { __typename: 'Store', id: STORE_ID, name: 'Nordlys Aarhus',
        zones: [{ __typename: 'Zone', id: ZONE_ID, name: 'Checkout' }] }, insights: INSIGHTS },
      StoreComparison: { insights: { n: 0, profile: { items: [] }, stores: [] } },
      StoreChanges: { storeChanges: [] },
    }, sent)}>
      <SessionProvider>
        <MemoryRouter initialEntries={[`/portal/stores/${STORE_ID}/dashboard${query}`]}>
          <Routes><Route path="/portal/stores/:storeId/dashboard" element={<DashboardPage />} /></Routes>
        </MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

describe('the dashboard of a store, one of its zones or the chain', () => {
  beforeEach(() => vi.stubGlobal('EventSource', QuietEventSource));
  afterEach(() => vi.unstubAllGlobals());

  it('reads the whole store, and a zone once one is chosen', async () => {
    const sent: Sent = [];
    renderDashboard('STORE_MANAGER', sent);
    const picker = await screen.findByRole('combobox', { name: 'Figures for' });
    const scopes = () => sent.filter((s) => s.name === 'Dashboard').map((s) => s.variables.scope);
    expect(scopes()[0]).toEqual({ kind: 'STORE', ids: [STORE_ID] });
    expect([...(picker as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['The whole store', 'Checkout']);

    fireEvent.change(picker, { target: { value: ZONE_ID } });
    await waitFor(() => expect(scopes().at(-1)).toEqual({ kind: 'ZONE', ids: [ZONE_ID] }));
  });

  it('offers the whole chain to everyone but store managers, who see only their stores', async () => {
    const sent: Sent = [];
    const { unmount } = renderDashboard('OWNER', sent);
    const picker = await screen.findByRole('combobox', { name: 'Figures for' });
    expect([...(picker as HTMLSelectElement).options].map((o) => o.textContent))
      .toEqual(['The whole store', 'Checkout', 'The whole chain']);
    fireEvent.change(picker, { target: { value: 'chain' } });
    await waitFor(() => expect(sent.filter((s) => s.name === 'Dashboard').at(-1)?.variables.scope)
      .toEqual({ kind: 'CHAIN', ids: [] }));
    unmount();
    renderDashboard('STORE_MANAGER', [], '?scope=chain');  // a chain link opened by a store manager: the store
    const managers = await screen.findByRole('combobox', { name: 'Figures for' });
    expect([...(managers as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['The whole store', 'Checkout']);
  });
});
