import { render, screen } from '@testing-library/react';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';

import { FirstChange, NpsCard, Profile } from '../pages/Dashboard';
import type { DashboardQuery } from '../gql/graphql';

type Insights = DashboardQuery['insights'];

const estimate = { value: null, low: null, high: null, n: 0, sufficient: false, note: null };
function insights(overrides: Partial<Insights>): Insights {
  return {
    n: 0, nFlagged: 0, periodFrom: '2026-11-03', periodTo: '2026-12-02', optimise: [],
    nps: { value: null, low: null, high: null, n: 0, promoters: 0, passives: 0, detractors: 0, sufficient: false, note: null },
    profile: { n: 0, sufficient: false, note: null, items: [] },
    drivers: { n: 0, sufficient: false, basis: 'scope', note: null, drivers: [] },
    map: [], models: [], trends: { weekly: [] }, storeChanges: [],
    ...overrides,
  };
}

describe('what to change first', () => {
  it('says it in a sentence with the projected uplift, its range and the levers', () => {
    render(<FirstChange insights={insights({
      n: 120,
      optimise: [{ rank: 1, goal: 'ease', quadrant: 'fix', target: 4.1, targetBasis: 'chain top-quartile store',
        levers: ['Open another till when more than three people queue'],
        uplift: { value: 0.62, low: 0.21, high: 1.04, n: 120, sufficient: true, note: null } }],
    })} />);
    expect(screen.getByTestId('first-change').textContent).toBe(
      'Work on ease first: bringing it up to target could raise your shoppers\' score by about +0.6 points out of 10. '
      + '(likely between 0.2–1.0)');
    expect(screen.getByRole('listitem').textContent).toBe('Open another till when more than three people queue');
  });

  it('says when there are too few responses instead of guessing', () => {
    render(<FirstChange insights={insights({ n: 3, optimise: [{ rank: 1, goal: 'ease', quadrant: '', target: 4,
      targetBasis: '', levers: [], uplift: { ...estimate, n: 3 } }] })} />);
    expect(screen.queryByTestId('first-change')).toBeNull();
    expect(screen.getByText(/Too few responses to say what to change first: 3 so far/)).toBeTruthy();
  });

  it('is written in the chosen language', async () => {
    await i18next.changeLanguage('da');
    render(<FirstChange insights={insights({ n: 2 })} />);
    expect(screen.getByRole('heading').textContent).toBe('Det første, du bør ændre');
  });
});

describe('NPS', () => {
  it('shows the score with its interval when there are enough answers', () => {
    render(<NpsCard nps={{ value: 31.4, low: 12.2, high: 48.9, n: 80, promoters: 40, passives: 25, detractors: 15,
      sufficient: true, note: null }} />);
    expect(screen.getByTestId('nps-value').textContent).toBe('31');
    expect(screen.getByText('Likely between 12–49')).toBeTruthy();
  });

  it('says "too few responses" below the minimum and "not asked" without answers', () => {
    const { unmount } = render(<NpsCard nps={{ value: 50, low: null, high: null, n: 4, promoters: 3, passives: 0,
      detractors: 1, sufficient: false, note: null }} />);
    expect(screen.getByTestId('nps-too-few').textContent).toBe('Too few responses for a reliable score: 4 so far.');
    expect(screen.queryByTestId('nps-value')).toBeNull();
    unmount();
    render(<NpsCard nps={{ value: null, low: null, high: null, n: 0, promoters: 0, passives: 0, detractors: 0,
      sufficient: false, note: null }} />);
    expect(screen.getByText(/No one has answered the recommendation question/)).toBeTruthy();
  });
});

describe('the implicit-goal profile', () => {
  it('lists each goal with how well it was met and its range, in the chosen language', async () => {
    await i18next.changeLanguage('sv');
    const fulfilment = { value: 3.84, low: 3.41, high: 4.27, n: 40, sufficient: true };
    render(<Profile profile={{ n: 40, sufficient: true, note: null, items: [
      { goal: 'ease', fulfilment, conviction: { ...fulfilment, value: 0.3 } },
      { goal: 'value', fulfilment: { ...fulfilment, value: null, low: null, high: null }, conviction: fulfilment },
    ] }} />);
    const rows = screen.getAllByRole('row').slice(1).map((row) => row.textContent);
    expect(rows).toEqual(['enkelhet3,83,4–4,3']);
    expect(screen.queryByText(/Få svar/)).toBeNull();
  });

  it('says few responses, not "no answers", when the goals cannot be estimated yet', () => {
    render(<Profile profile={{ n: 1, sufficient: false, note: null, items: [] }} />);
    expect(screen.getByTestId('profile-too-few').textContent).toBe('Few responses so far (1): the ranges are wide.');
    expect(screen.queryByText('No answers in this period yet.')).toBeNull();
  });
});
