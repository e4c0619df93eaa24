import { render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { tenantDownload } from '../downloads';
import { SessionProvider } from '../session';
import { clientAnswering, meAs } from '../test-client';
import { StorePage } from './Store';

const FILES = 'https://api.example.com/api/survey-codes/c1';
const STORE = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus', slug: 'aarhus', address: '',
  timezone: 'Europe/Copenhagen', defaultLanguage: 'da', zones: [] };
const CODE = { __typename: 'SurveyCode', id: 'c1', code: 'K7QM4ZPX', url: 'https://api.example.com/q/K7QM4ZPX',
  zoneId: null, campaign: '', scans: 0, svgUrl: `${FILES}/qr.svg`, pngUrl: `${FILES}/qr.png`,
  posterA4Url: `${FILES}/poster-a4.pdf`, posterA5Url: `${FILES}/poster-a5.pdf` };

const REPORTS = 'https://api.example.com/api/stores/a/weekly-report.pdf';
const WEEKLY = { __typename: 'Store', id: STORE.id, w0: `${REPORTS}?week=2026-W48`, w1: `${REPORTS}?week=2026-W47`,
  w2: `${REPORTS}?week=2026-W46`, w3: `${REPORTS}?week=2026-W45` };

/** The live counter's feed: jsdom has no EventSource, and this test does not listen. */
class QuietEventSource {
  onerror: (() => void) | null = null;
  addEventListener() {}
  close() {}
}

/** A person in two tenants: the server cannot guess the tenant of a clicked link. */
function twoTenants() {
  const me = meAs('OWNER').me;
  const other = { __typename: 'AccountMembership', role: 'ANALYST',
    tenant: { __typename: 'Tenant', id: 'T2', name: 'Fjord', slug: 'fjord', defaultLanguage: 'nb' } };
  return { me: { ...me, memberships: [...me.memberships, other] } };
}

describe('the store page', () => {
  beforeEach(() => {
    vi.stubGlobal('EventSource', QuietEventSource);
    sessionStorage.setItem('pejling.portal.tenant', 'nordlys');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('names the tenant in the QR code and poster links (a click cannot send the tenant header)', () => {
    render(
      <Provider value={clientAnswering({ Me: twoTenants(), Store: { store: STORE, surveyCodes: [CODE] },
        WeeklyReports: { store: WEEKLY } }, [])}>
        <SessionProvider>
          <MemoryRouter initialEntries={[`/portal/stores/${STORE.id}`]}>
            <Routes><Route path="/portal/stores/:storeId" element={<StorePage />} /></Routes>
          </MemoryRouter>
        </SessionProvider>
      </Provider>,
    );
    const poster = screen.getByRole('region', { name: 'QR poster' });
    expect(within(poster).getAllByRole('link').slice(0, 3).map((a) => a.getAttribute('href'))).toEqual([
      '/api/survey-codes/c1/poster-a4.pdf?tenant=nordlys', '/api/survey-codes/c1/poster-a5.pdf?tenant=nordlys',
      '/api/survey-codes/c1/qr.png?tenant=nordlys']);
    expect(within(poster).getByRole('img').getAttribute('src')).toBe('/api/survey-codes/c1/qr.svg?tenant=nordlys');
    const weekly = screen.getByRole('region', { name: 'Weekly report' });
    expect(within(weekly).getAllByRole('link').map((a) => a.getAttribute('href'))[0])
      .toBe('/api/stores/a/weekly-report.pdf?week=2026-W48&tenant=nordlys');
  });
});

describe('download links', () => {
  it('stay on this origin and set the tenant once, keeping the query they had', () => {
    expect(tenantDownload('https://other.example/api/x/qr.svg?size=2&tenant=old', 'nordlys'))
      .toBe('/api/x/qr.svg?size=2&tenant=nordlys');
    expect(tenantDownload('/api/x/qr.svg', '')).toBe('/api/x/qr.svg');
  });
});
