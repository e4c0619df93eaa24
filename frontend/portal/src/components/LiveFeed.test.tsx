import { act, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { RECENT } from '../live';
import { LiveCounter } from './LiveCounter';

/** An EventSource the test speaks through, as the server's feed would (core/live_routes.py). */
class FeedSource {
  static last: FeedSource | null = null;
  url: string;
  onerror: (() => void) | null = null;
  listeners: Record<string, ((event: MessageEvent<string>) => void)[]> = {};
  constructor(url: string) {
    this.url = url;
    FeedSource.last = this;
  }
  addEventListener(name: string, listener: (event: MessageEvent<string>) => void) {
    (this.listeners[name] ??= []).push(listener);
  }
  close() {}
  emit(name: string, data: unknown, id = '') {
    const event = new MessageEvent<string>(name, { data: JSON.stringify(data), lastEventId: id });
    act(() => (this.listeners[name] ?? []).forEach((listener) => listener(event)));
  }
}

const ZONES = [{ id: 'Wm9uZTox', name: 'Checkout' }];
const response = (n: number, zone: string | null = null, channel = 'qr') => ({
  type: 'response', id: `UmVzcG9uc2U6${n}`, store: 'U3RvcmU6YQ==', zone, channel,
  submitted_at: `2026-12-03T09:0${n}:00Z`, received_at: `2026-12-03T09:0${n}:05Z`,
});

describe('the live feed of today\'s responses', () => {
  beforeEach(() => vi.stubGlobal('EventSource', FeedSource));
  afterEach(() => vi.unstubAllGlobals());

  it('counts today and lists the latest responses as they arrive, newest first, with zone and channel', () => {
    render(<LiveCounter storeId="U3RvcmU6YQ==" tenantSlug="nordlys" zones={ZONES} />);
    const feed = FeedSource.last!;
    expect(feed.url).toBe('/api/live/responses?store=U3RvcmU6YQ%3D%3D&tenant=nordlys');
    feed.emit('today', { count: 4 });
    expect(screen.getByTestId('live-count').textContent).toBe('4 responses today');
    expect(screen.queryByTestId('live-feed')).toBeNull();

    feed.emit('response', response(1, 'Wm9uZTox', 'nfc'), 'UmVzcG9uc2U61');
    feed.emit('response', response(2), 'UmVzcG9uc2U62');
    feed.emit('response', response(2), 'UmVzcG9uc2U62');  // a resend after a reconnect counts once
    expect(screen.getByTestId('live-count').textContent).toBe('6 responses today');
    const items = within(screen.getByTestId('live-feed')).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/ · QR code$/);
    expect(items[1]).toMatch(/ · NFC tag · Checkout$/);
  });

  it('keeps only the latest few', () => {
    render(<LiveCounter storeId="U3RvcmU6YQ==" tenantSlug="" />);
    const feed = FeedSource.last!;
    feed.emit('today', { count: 0 });
    for (let n = 1; n <= RECENT + 2; n += 1) {
      feed.emit('response', response(n, null, 'kiosk'), `id${n}`);
    }
    expect(within(screen.getByTestId('live-feed')).getAllByRole('listitem')).toHaveLength(RECENT);
    expect(screen.getByTestId('live-count').textContent).toBe(`${RECENT + 2} responses today`);
  });
});
