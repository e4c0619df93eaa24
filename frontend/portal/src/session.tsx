// Who is logged in (the `me` query), shared by every page; pages under /portal/ send anonymous visitors to /login.
import { createContext, useContext, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useQuery } from 'urql';

import { CHOOSE_PASSWORD_PAGE, chooseTenant, choosePasswordPath, currentTenant } from './graphql/client';
import { MeQuery } from './graphql/operations';
import type { MeQuery as MeResult } from './gql/graphql';
import { ErrorNotice, Loading } from './components/States';

export type Me = NonNullable<MeResult['me']>;
type Session = { me: Me | null; fetching: boolean; failed: boolean; tenantSlug: string; retry: () => void };

const SessionContext = createContext<Session>({ me: null, fetching: true, failed: false, tenantSlug: '', retry: () => {} });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [{ data, fetching, stale, error }, retry] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  const me = data?.me ?? null;
  const slugs = me?.memberships.map((m) => m.tenant.slug) ?? [];
  const stored = currentTenant();
  const tenantSlug = stored && slugs.includes(stored) ? stored : (slugs[0] ?? '');
  if (me && !fetching && !stale && tenantSlug !== stored) {
    // Before the pages below render: their first requests already name the tenant (idempotent, so safe in render).
    // Never from an answer being refreshed: a tenant just joined (acceptInvitation) is not in the old one yet.
    chooseTenant(tenantSlug);
  }
  const value = {
    me, fetching: fetching && !data, failed: Boolean(error) && !data, tenantSlug,
    retry: () => retry({ requestPolicy: 'network-only' }),
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}

/** Renders its children for a logged-in member; anonymous visitors go to /login, and a person who logged in with a
 * generated password to the choose-password page (both come back after). */
export function RequireLogin({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.fetching) {
    return <Loading />;
  }
  if (session.failed) {
    return <ErrorNotice onRetry={session.retry} />;
  }
  if (!session.me) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (session.me.passwordChangeRequired && location.pathname !== CHOOSE_PASSWORD_PAGE) {
    return <Navigate to={choosePasswordPath(location.pathname + location.search)} replace />;
  }
  return <>{children}</>;
}
