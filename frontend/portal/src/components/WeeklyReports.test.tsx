import { render, screen, within } from '@testing-library/react';
import { Provider } from 'urql';
import { describe, expect, it } from 'vitest';

import { clientAnswering, type Sent } from '../test-client';
import { isoWeek, lastWeeks, WeeklyReports } from './WeeklyReports';

const URL = 'https://api.example.com/api/stores/s1/weekly-report.pdf';

describe('the weekly report card', () => {
  it('counts ISO weeks as the server does (the Thursday names the year)', () => {
    expect(isoWeek(new Date(Date.UTC(2026, 10, 30)))).toBe('2026-W49');
    expect(isoWeek(new Date(Date.UTC(2026, 10, 29)))).toBe('2026-W48');
    expect(isoWeek(new Date(Date.UTC(2027, 0, 1)))).toBe('2026-W53');
    expect(lastWeeks(new Date(Date.UTC(2026, 11, 3)))).toEqual(['2026-W48', '2026-W47', '2026-W46', '2026-W45']);
  });

  it('links the last four weeks for the tenant the portal works in', async () => {
    const sent: Sent = [];
    const store = { __typename: 'Store', id: 's1', w0: `${URL}?week=2026-W48`, w1: `${URL}?week=2026-W47`,
      w2: `${URL}?week=2026-W46`, w3: `${URL}?week=2026-W45` };
    render(
      <Provider value={clientAnswering({ WeeklyReports: { store } }, sent)}>
        <WeeklyReports storeId="s1" tenantSlug="nordlys" today={new Date(Date.UTC(2026, 11, 3))} />
      </Provider>,
    );
    const card = screen.getByRole('region', { name: 'Weekly report' });
    const links = within(card).getAllByRole('link');
    expect(links.map((a) => a.textContent)).toEqual(['Week 2026-W48 (PDF)', 'Week 2026-W47 (PDF)',
      'Week 2026-W46 (PDF)', 'Week 2026-W45 (PDF)']);
    expect(links[0].getAttribute('href')).toBe('/api/stores/s1/weekly-report.pdf?week=2026-W48&tenant=nordlys');
  });
});
