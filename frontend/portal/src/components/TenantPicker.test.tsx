import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { currentTenant } from '../graphql/client';
import { SessionProvider } from '../session';
import { clientAnswering, meAs } from '../test-client';
import { Layout } from './Layout';

function inTwoTenants() {
  const me = meAs('OWNER').me;
  const other = { __typename: 'AccountMembership', role: 'ANALYST',
    tenant: { __typename: 'Tenant', id: 'T2', name: 'Fjord', slug: 'fjord', defaultLanguage: 'nb' } };
  return { me: { ...me, memberships: [...me.memberships, other] } };
}

function page(me: unknown) {
  return render(
    <Provider value={clientAnswering({ Me: me as Record<string, unknown> }, [])}>
      <SessionProvider>
        <MemoryRouter><Layout title="Stores"><p>content</p></Layout></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

describe('the business picker', () => {
  const assign = vi.fn();
  beforeEach(() => {
    sessionStorage.clear();
    vi.stubGlobal('location', { ...window.location, assign });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    assign.mockReset();
  });

  it('shows only the name of the one business a person belongs to', () => {
    page(meAs('OWNER'));
    expect(screen.queryByRole('combobox', { name: 'Business' })).toBeNull();
    expect(screen.getByText('Nordlys')).toBeTruthy();
  });

  it('lets a person in several businesses switch, starting the portal afresh in the chosen one', () => {
    page(inTwoTenants());
    const picker = screen.getByRole('combobox', { name: 'Business' }) as HTMLSelectElement;
    expect(picker.value).toBe('nordlys');
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Nordlys', 'Fjord']);

    fireEvent.change(picker, { target: { value: 'fjord' } });
    expect(currentTenant()).toBe('fjord');
    expect(assign).toHaveBeenCalledWith('/portal');
  });
});
