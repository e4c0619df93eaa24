// Today's responses as they arrive: GET /api/live/responses (server-sent events, core/live_routes.py).
// The first event (`today`) gives the count so far; each `response` event adds one. The browser reconnects by
// itself (and is counted again by the server).
import { useEffect, useState } from 'react';

export type LiveState = { count: number | null; status: 'connecting' | 'live' | 'reconnecting' };

export function liveUrl(storeId: string, tenantSlug: string): string {
  const params = new URLSearchParams({ store: storeId });
  if (tenantSlug) {
    params.set('tenant', tenantSlug);
  }
  return `/api/live/responses?${params.toString()}`;
}

/** The live count of today's responses of one store. */
export function useLiveCount(storeId: string, tenantSlug: string): LiveState {
  const [state, setState] = useState<LiveState>({ count: null, status: 'connecting' });
  useEffect(() => {
    const source = new EventSource(liveUrl(storeId, tenantSlug), { withCredentials: true });
    const seen = new Set<string>();
    source.addEventListener('today', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { count: number };
      seen.clear();
      setState({ count: data.count, status: 'live' });
    });
    source.addEventListener('response', (event) => {
      const id = (event as MessageEvent<string>).lastEventId;
      if (id && seen.has(id)) {
        return;
      }
      seen.add(id);
      setState((previous) => ({ count: (previous.count ?? 0) + 1, status: 'live' }));
    });
    source.onerror = () => setState((previous) => ({ ...previous, status: 'reconnecting' }));
    return () => source.close();
  }, [storeId, tenantSlug]);
  return state;
}
