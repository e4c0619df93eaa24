import { render, screen } from '@testing-library/react';
import { Provider, type Client } from 'urql';
import { concat, fromValue, never } from 'wonka';
import { beforeEach, describe, expect, it } from 'vitest';

import { chooseTenant, currentTenant } from './graphql/client';
import { SessionProvider, useSession } from './session';
import { meAs } from './test-client';

/** A client whose `me` answer is `stale` (being refreshed) or not. */
function answeringMe(stale: boolean): Client {
  return {
    executeQuery: (operation: unknown) => concat([fromValue({ operation, data: meAs('OWNER'), stale, hasNext: false }), never]),
  } as unknown as Client;
}

function Tenant() {
  return <p data-testid="tenant">{useSession().tenantSlug}</p>;
}

describe('the tenant the portal works in', () => {
  beforeEach(() => sessionStorage.clear());

  it('becomes the first of the person\'s tenants when the stored one is not theirs', () => {
    chooseTenant('somewhere-else');
    render(<Provider value={answeringMe(false)}><SessionProvider><Tenant /></SessionProvider></Provider>);
    expect(screen.getByTestId('tenant').textContent).toBe('nordlys');
    expect(currentTenant()).toBe('nordlys');
  });

  it('is not overwritten from an answer being refreshed (a tenant just joined is not in it yet)', () => {
    chooseTenant('just-joined');
    render(<Provider value={answeringMe(true)}><SessionProvider><Tenant /></SessionProvider></Provider>);
    expect(currentTenant()).toBe('just-joined');
  });
});
