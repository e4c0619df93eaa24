// Pages only owners and admins may use (the team, API tokens): everyone else is told so instead of seeing an error.
import type { ReactNode } from 'react';

import type { Role } from '../gql/graphql';
import { useSession } from '../session';
import { Empty } from './States';

/** The logged-in person's role in the tenant the portal works in (null when there is none). */
export function useTenantRole(): Role | null {
  const { me, tenantSlug } = useSession();
  return me?.memberships.find((m) => m.tenant.slug === tenantSlug)?.role ?? null;
}

export function isAdmin(role: Role | null): boolean {
  return role === 'OWNER' || role === 'ADMIN';
}

/** Renders its children for owners and admins; others read `message`. */
export function AdminOnly({ message, children }: { message: string; children: ReactNode }) {
  const role = useTenantRole();
  if (!isAdmin(role)) {
    return <Empty><p data-testid="admin-only">{message}</p></Empty>;
  }
  return <>{children}</>;
}
