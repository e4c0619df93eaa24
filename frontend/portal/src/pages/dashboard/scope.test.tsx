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

describe('the dashboard of a store or one of its zones', () => {
  beforeEach(() => vi.stubGlobal('EventSource', QuietEventSource));
  afterEach(() => vi.unstubAllGlobals());

  it('reads the whole store, and a zone once one is chosen', async () => {
    const sent: Sent = [];
    render(
      <Provider value={clientAnswering({
        Me: meAs('STORE_MANAGER'),
        Dashboard: { store: { __typename: 'Store', id: STORE_ID, name: 'Nordlys Aarhus',
          zones: [{ __typename: 'Zone', id: ZONE_ID, name: 'Checkout' }] }, insights: INSIGHTS },
        StoreComparison: { insights: { n: 0, profile: { items: [] }, stores: [] } },
        StoreChanges: { storeChanges: [] },
      }, sent)}>
        <SessionProvider>
          <MemoryRouter initialEntries={[`/portal/stores/${STORE_ID}/dashboard`]}>
            <Routes><Route path="/portal/stores/:storeId/dashboard" element={<DashboardPage />} /></Routes>
          </MemoryRouter>
        </SessionProvider>
      </Provider>,
    );
    const picker = await screen.findByRole('combobox', { name: 'Part of the store' });
    const scopes = () => sent.filter((s) => s.name === 'Dashboard').map((s) => s.variables.scope);
    expect(scopes()[0]).toEqual({ kind: 'STORE', ids: [STORE_ID] });
    expect([...(picker as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['The whole store', 'Checkout']);

    fireEvent.change(picker, { target: { value: ZONE_ID } });
    await waitFor(() => expect(scopes().at(-1)).toEqual({ kind: 'ZONE', ids: [ZONE_ID] }));
  });
});
