// Today's responses as they arrive: GET /api/live/responses (server-sent events, core/live_routes.py).
// The first event (`today`) gives the count so far; each `response` event adds one. The browser reconnects by
// itself (and is counted again by the server).
import { useEffect, useState } from 'react';

/** One response as the feed tells it: ids, channel and times only (never what the shopper answered). */
export type LiveResponse = { id: string; zone: string | null; channel: string; receivedAt: string };
export type LiveState = {
  count: number | null; status: 'connecting' | 'live' | 'reconnecting';
  /** The latest responses heard since the page opened, newest first (at most RECENT). */
  recent: LiveResponse[];
};

/** How many of the latest responses the feed keeps. */
export const RECENT = 5;

export function liveUrl(storeId: string, tenantSlug: string): string {
  const params = new URLSearchParams({ store: storeId });
  if (tenantSlug) {
    params.set('tenant', tenantSlug);
  }
  return `/api/live/responses?${params.toString()}`;
}

/** The live count of today's responses of one store, and the latest of them. */
export function useLiveCount(storeId: string, tenantSlug: string): LiveState {
  const [state, setState] = useState<LiveState>({ count: null, status: 'connecting', recent: [] });
  useEffect(() => {
    const source = new EventSource(liveUrl(storeId, tenantSlug), { withCredentials: true });
    const seen = new Set<string>();
    source.addEventListener('today', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { count: number };
      seen.clear();
      setState((previous) => ({ count: data.count, status: 'live', recent: previous.recent }));
    });
    source.addEventListener('response', (event) => {
      const id = (event as MessageEvent<string>).lastEventId;
      if (id && seen.has(id)) {
        return;
      }
      seen.add(id);
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        id: string; zone: string | null; channel: string; received_at: string;
      };
      const heard = { id: data.id, zone: data.zone, channel: data.channel, receivedAt: data.received_at };
      setState((previous) => ({
        count: (previous.count ?? 0) + 1, status: 'live', recent: [heard, ...previous.recent].slice(0, RECENT),
      }));
    });
    source.onerror = () => setState((previous) => ({ ...previous, status: 'reconnecting' }));
    return () => source.close();
  }, [storeId, tenantSlug]);
  return state;
}
