import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import i18next from 'i18next';
import { Provider } from 'urql';
import { describe, expect, it } from 'vitest';

import { clientAnswering, type Sent } from '../../test-client';
import { ImportanceMap, mapRows, type MapInsights } from './ImportanceMap';
import { OutcomeCard } from './OutcomeCards';
import { StoreChangeLog } from './StoreChangeLog';
import { largestGap, StoreComparison } from './StoreComparison';
import { Trends } from './Trends';

const fulfilment = (value: number | null, low: number | null = null, high: number | null = null) =>
  ({ value, low, high, n: 80, sufficient: value !== null });
const driver = (goal: string, importance: number, low: number, high: number, unclear = false) =>
  ({ goal, importance, low, high, indistinguishableFromNone: unclear });

function mapInsights(overrides: Partial<MapInsights> = {}): MapInsights {
  return {
    map: [
      { goal: 'ease', importance: 0.2, performance: 2.8, quadrant: 'priority' },
      { goal: 'value', importance: 0.15, performance: 4.1, quadrant: 'strength' },
      { goal: 'discovery', importance: 0.05, performance: 3.0, quadrant: 'secondary' },
    ],
    drivers: { n: 80, sufficient: true, basis: 'scope', note: null, drivers: [
      driver('ease', 0.2, 0.1, 0.3), driver('value', 0.15, 0.05, 0.25), driver('discovery', 0.05, 0, 0.12, true)] },
    profile: { n: 80, sufficient: true, note: null, items: [
      { goal: 'ease', fulfilment: fulfilment(2.9, 2.6, 3.2), conviction: fulfilment(0) },
      { goal: 'value', fulfilment: fulfilment(4.1, 3.9, 4.3), conviction: fulfilment(0) },
      { goal: 'discovery', fulfilment: fulfilment(3.0, 2.7, 3.3), conviction: fulfilment(0) }] },
    ...overrides,
  };
}

describe('the importance x performance map', () => {
  it('turns importance into a share with the drivers\' interval scaled alike', () => {
    const [ease] = mapRows(mapInsights(), (g) => g);
    expect(ease.importance).toBeCloseTo(50);
    expect(ease.importanceLow).toBeCloseTo(25);
    expect(ease.importanceHigh).toBeCloseTo(75);
    expect(ease.performanceError.map((e) => Number(e.toFixed(2)))).toEqual([0.2, 0.4]);
  });

  it('says what to fix first and lists every goal with its quadrant and ranges, fix-first on top', () => {
    render(<ImportanceMap insights={mapInsights()} />);
    expect(screen.getByTestId('map-fix-first').textContent).toBe(
      'Fix first: ease. It matters a lot to your shoppers and is met less well than your other goals.');
    const rows = within(screen.getByTestId('map-table')).getAllByRole('row').slice(1).map((row) => row.textContent);
    expect(rows).toEqual([
      'easeFix first50 % (likely between 25–75)2.8 (likely between 2.6–3.2)',
      'discoveryImprove when you can13 % (likely between 0–30) – no clear effect yet3.0 (likely between 2.7–3.3)',
      'value for moneyKeep it up38 % (likely between 13–63)4.1 (likely between 3.9–4.3)',
    ]);
  });

  it('names every goal to fix first in one sentence', () => {
    const insights = mapInsights();
    render(<ImportanceMap insights={{ ...insights, map: insights.map.map((p) => p.goal === 'discovery'
      ? { ...p, quadrant: 'priority' } : p) }} />);
    expect(screen.getByTestId('map-fix-first').textContent).toBe(
      'Fix first: ease and discovery. These matter a lot to your shoppers and are met less well than your other goals.');
  });

  it('says so when there are too few complete responses, and when the weights are the chain\'s', () => {
    const { unmount } = render(<ImportanceMap insights={mapInsights({ map: [],
      drivers: { n: 12, sufficient: false, basis: 'scope', note: 'too few responses', drivers: [] } })} />);
    expect(screen.getByTestId('map-too-few').textContent).toMatch(/^Too few complete responses .*: 12 so far\./);
    expect(screen.queryByRole('table')).toBeNull();
    unmount();
    render(<ImportanceMap insights={mapInsights({ drivers: { ...mapInsights().drivers, basis: 'chain' } })} />);
    expect(screen.getByTestId('map-chain').textContent).toMatch(/weights come from all your stores/);
  });

  it('is written in the chosen language', async () => {
    await i18next.changeLanguage('nb');
    render(<ImportanceMap insights={mapInsights()} />);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Hva betyr mest, og hvordan går det');
    expect(screen.getByTestId('map-fix-first').textContent).toMatch(/^Rett først: letthet\./);
  });
});

describe('CSAT and CES', () => {
  const csat = (figures: Record<string, unknown>, sufficient = true, note: string | null = null) =>
    ({ modelId: 'csat', key: 'csat', sufficient, note, figures });

  it('shows the share of satisfied shoppers with its interval', () => {
    render(<OutcomeCard kind="csat" models={[csat({ value: 72.5, low: 61.2, high: 81.4, n: 60 })]} />);
    expect(screen.getByTestId('csat-value').textContent).toBe('73 %');
    expect(screen.getByText('Likely between 61–81')).toBeTruthy();
  });

  it('shows the CES mean and the share who found it easy', () => {
    render(<OutcomeCard kind="ces" models={[{ modelId: 'ces', key: 'ces', sufficient: true, note: null,
      figures: { mean: 5.43, low: 5.1, high: 5.76, n: 44, pct_easy: 70.4 } }]} />);
    expect(screen.getByTestId('ces-value').textContent).toBe('5.4');
    expect(screen.getByText(/from 44 shoppers; 70 % found it easy/)).toBeTruthy();
  });

  it('says "not asked" without the question, and "too few responses" below the minimum', () => {
    const { unmount } = render(<OutcomeCard kind="csat" models={[csat({ value: null, n: 0 }, false, 'not asked')]} />);
    expect(screen.getByTestId('csat-not-asked')).toBeTruthy();
    unmount();
    const second = render(<OutcomeCard kind="ces" models={[]} />);
    expect(screen.getByTestId('ces-not-asked').textContent).toMatch(/^Not asked/);
    second.unmount();
    render(<OutcomeCard kind="csat" models={[csat({ value: null, n: 7 }, false, 'too few responses')]} />);
    expect(screen.getByTestId('csat-too-few').textContent).toBe('Too few responses for a reliable score: 7 so far.');
  });
});

describe('the weekly trend', () => {
  it('has a table of each week\'s responses and NPS, a week without answers saying so', () => {
    render(<Trends weeks={[{ start: '2026-11-16', n: 12, nps: 25, note: null },
      { start: '2026-11-23', n: 0, nps: null, note: 'no outcome answered' }]} />);
    const rows = within(screen.getByTestId('trend-table')).getAllByRole('row').slice(1).map((row) => row.textContent);
    expect(rows).toEqual(['Week of 16 Nov 20261225', 'Week of 23 Nov 20260no answers']);
  });

  it('says there is nothing yet when no week has a response', () => {
    render(<Trends weeks={[{ start: '2026-11-23', n: 0, nps: null, note: null }]} />);
    expect(screen.getByTestId('trend-empty').textContent).toBe('No responses in this period yet.');
    expect(screen.queryByRole('table')).toBeNull();
  });
});

const goals = (values: Record<string, number | null>) =>
  Object.entries(values).map(([goal, value]) => ({ goal, value, n: value === null ? 0 : 50 }));
const nps = (value: number | null) => ({ value, low: value === null ? null : value - 10,
  high: value === null ? null : value + 10, n: 50, sufficient: value !== null });
const CHAIN = {
  n: 150,
  profile: { items: [{ goal: 'ease', fulfilment: { value: 3.5 } }, { goal: 'value', fulfilment: { value: 3.8 } }] },
  stores: [
    { key: 'S1', name: 'Aarhus', n: 50, nps: nps(20), goals: goals({ ease: 3.1, value: 3.7 }) },
    { key: 'S2', name: 'Odense', n: 60, nps: nps(null), goals: goals({ ease: 3.9, value: 3.9 }) },
    { key: 'S3', name: 'Aalborg', n: 40, nps: nps(35), goals: goals({ ease: 3.6, value: 3.5 }) },
  ],
};

describe('the stores side by side', () => {
  it('finds the goal a store is furthest below the chain on', () => {
    expect(largestGap(CHAIN.stores[0], CHAIN)).toEqual({ goal: 'ease', gap: expect.closeTo(-0.4) });
    expect(largestGap(CHAIN.stores[1], CHAIN)).toBeNull();
  });

  it('lists each store with its NPS and largest gap, this store marked', async () => {
    const sent: Sent = [];
    render(<Provider value={clientAnswering({ StoreComparison: { insights: CHAIN } }, sent)}>
      <StoreComparison storeId="S1" from="2026-11-03" to="2026-12-02" />
    </Provider>);
    const rows = (await screen.findAllByRole('row')).slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([
      'Aarhus (this store)5020 (likely between 10–30)ease (-0.4)',
      'Odense60too few responsesat or above average on every goal',
      'Aalborg4035 (likely between 25–45)value for money (-0.3)',
    ]);
    expect(rows[0].getAttribute('aria-current')).toBe('true');
    expect(sent[0].variables).toMatchObject({ from: '2026-11-03', to: '2026-12-02' });
  });

  it('shows nothing with one store, and a retry when the request fails', async () => {
    const one = render(<Provider value={clientAnswering({ StoreComparison: { insights: { ...CHAIN,
      stores: CHAIN.stores.slice(0, 1) } } }, [])}><StoreComparison storeId="S1" from="a" to="b" /></Provider>);
    expect(one.container.innerHTML).toBe('');
    one.unmount();
    render(<Provider value={clientAnswering({ StoreComparison: { error: true } }, [])}>
      <StoreComparison storeId="S1" from="a" to="b" />
    </Provider>);
    expect(await screen.findByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

const CHANGE = { id: 'C1', date: '2026-11-10', description: 'Second till opened', createdAt: '2026-11-10T09:00:00Z',
  zone: null };
const EFFECT = { changeId: 'C1', date: '2026-11-10', description: 'Second till opened', windowDays: 28,
  outcome: { effect: 0.8, low: 0.2, high: 1.4, treatedChange: 0.9, controlChange: 0.1, n: [120, 110, 300, 280],
    sufficient: true, note: null } };

describe('the store-change log', () => {
  it('lists each change with its before/after beside the other stores', async () => {
    render(<Provider value={clientAnswering({ StoreChanges: { storeChanges: [CHANGE,
      { ...CHANGE, id: 'C2', date: '2026-06-01', description: 'New layout', zone: { id: 'Z1', name: 'Entrance' } }] } },
    [])}>
      <StoreChangeLog storeId="S1" zones={[]} effects={[EFFECT]} onLogged={() => {}} />
    </Provider>);
    expect((await screen.findByTestId('change-effect')).textContent).toBe(
      'Over the 28 days after, your shoppers\' score moved +0.9 points out of 10; in your other stores it moved +0.1. '
      + 'The difference is +0.8 points (likely between 0.2–1.4) That is more than the ups and downs every store has.');
    expect(screen.getByText(/New layout \(Entrance\)/)).toBeTruthy();
    expect(screen.getByTestId('change-outside')).toBeTruthy();
  });

  it('says when there are too few responses to compare, and when nothing is logged', async () => {
    const { unmount } = render(<Provider value={clientAnswering({ StoreChanges: { storeChanges: [CHANGE] } }, [])}>
      <StoreChangeLog storeId="S1" zones={[]} effects={[{ ...EFFECT, outcome: { ...EFFECT.outcome, effect: null,
        low: null, high: null, sufficient: false, note: 'too few store-days' } }]} onLogged={() => {}} />
    </Provider>);
    expect((await screen.findByTestId('change-too-few')).textContent).toMatch(/the 28 days before with the 28 days/);
    unmount();
    render(<Provider value={clientAnswering({ StoreChanges: { storeChanges: [] } }, [])}>
      <StoreChangeLog storeId="S1" zones={[]} effects={[]} onLogged={() => {}} />
    </Provider>);
    expect((await screen.findByTestId('changes-empty')).textContent).toBe('No changes logged for this store yet.');
  });

  it('logs a change with its zone and shows the API\'s error on the field', async () => {
    const sent: Sent = [];
    let logged = 0;
    let answer: Record<string, unknown> = { logStoreChange: { storeChange: null, errors: [
      { code: 'INVALID', message: 'Describe the change in 1-500 characters.', field: 'description' }] } };
    render(<Provider value={clientAnswering({ StoreChanges: { storeChanges: [] }, LogStoreChange: () => answer },
      sent)}>
      <StoreChangeLog storeId="S1" zones={[{ id: 'Z1', name: 'Checkout' }]} effects={[]}
        onLogged={() => { logged += 1; }} />
    </Provider>);
    fireEvent.change(await screen.findByLabelText('What did you change?'), { target: { value: 'x' } });
    fireEvent.change(screen.getByLabelText('Day of the change'), { target: { value: '2026-12-01' } });
    fireEvent.change(screen.getByLabelText('Where in the store'), { target: { value: 'Z1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log the change' }));
    expect(await screen.findByText('Describe the change in 1-500 characters.')).toBeTruthy();
    expect(screen.getByLabelText('What did you change?').getAttribute('aria-invalid')).toBe('true');
    expect(logged).toBe(0);
    answer = { logStoreChange: { storeChange: { ...CHANGE, zone: { id: 'Z1', name: 'Checkout' } }, errors: [] } };
    fireEvent.change(screen.getByLabelText('What did you change?'), { target: { value: 'Second till opened' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log the change' }));
    expect((await screen.findByTestId('change-logged')).textContent).toBe('The change is logged.');
    await waitFor(() => expect(logged).toBe(1));
    expect(sent.filter((s) => s.name === 'LogStoreChange').at(-1)?.variables).toEqual({ input: {
      storeId: 'S1', date: '2026-12-01', description: 'Second till opened', zoneId: 'Z1' } });
    expect((screen.getByLabelText('What did you change?') as HTMLInputElement).value).toBe('');
    expect(sent.filter((s) => s.name === 'StoreChanges').length).toBe(2);
  });
});
