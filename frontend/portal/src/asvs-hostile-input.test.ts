// The portal's side of four ASVS rows in docs/asvs.md, each with input a tenant, an API answer or an address bar could
// hold: links and redirects stay on this site (V1.2.2), tenant text is never a template (V1.3.10), keys such as
// __proto__ pollute no prototype (V15.3.6), and a `next` given twice counts as none (V15.3.7).
import i18next from 'i18next';
import { afterEach, describe, expect, it } from 'vitest';

import { samePath, tenantDownload } from './downloads';
import { choosePasswordPath } from './graphql/client';
import { webAddress } from './pages/Billing';
import { mappingOf, pairsOf, withoutSecrets } from './pages/Integrations';
import { onlyNext, safeNext } from './pages/Login';

const ORIGIN = window.location.origin;
const POLLUTING = '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "12": "main"}';

function polluted(): unknown[] {
  const probe: Record<string, unknown> = {};
  return [probe.polluted, (Object.prototype as Record<string, unknown>).polluted, typeof Object.prototype.constructor];
}

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('V1.2.2: links and redirects built from data stay on this site', () => {
  it.each([
    '//evil.example/', '/\\evil.example', '/\t/evil.example', '/\n/evil.example', '/\r\n/evil.example',
    'https://evil.example/', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', '\\\\evil.example', '',
  ])('sends %j after logging in to the start page', (next) => {
    expect(safeNext(next)).toBe('/portal');
  });

  it('keeps a path of this site with its query and fragment', () => {
    expect(safeNext('/portal/responses?page=2&store=a%20b')).toBe('/portal/responses?page=2&store=a%20b');
    expect(safeNext('/accept-invitation#token=abc')).toBe('/accept-invitation#token=abc');
    expect(safeNext('/portal/x', 'https://pejling.example')).toBe('/portal/x');
    expect(new URL(safeNext('/portal/team'), ORIGIN).origin).toBe(ORIGIN);
  });

  it.each(['javascript:alert(1)', 'data:image/svg+xml,<svg onload=alert(1)>', 'vbscript:msgbox(1)', 'http://[::1'])(
    'gives no download link for %j', (url) => {
      expect(samePath(url)).toBe('');
      expect(tenantDownload(url, 'shop')).toBe('');
    });

  it('goes to a checkout or billing portal only at a web address', () => {
    expect(webAddress('https://checkout.stripe.com/c/pay/cs_test_1')).toBe(true);
    for (const url of ['javascript:alert(1)', 'data:text/html,x', 'vbscript:msgbox(1)', '//evil.example/x', '/portal']) {
      expect(webAddress(url)).toBe(false);
    }
  });

  it('keeps a download on this origin, with one leading slash, and encodes the tenant it adds', () => {
    expect(samePath('https://other.example//evil.example/x?a=1')).toBe('/evil.example/x?a=1');
    expect(tenantDownload('https://other.example/api/qr/1.svg', 'a&b=c')).toBe('/api/qr/1.svg?tenant=a%26b%3Dc');
    expect(choosePasswordPath('/portal/x?a=1&next=//evil.example')).toBe(
      '/portal/choose-password?next=%2Fportal%2Fx%3Fa%3D1%26next%3D%2F%2Fevil.example');
  });
});

describe('V1.3.10: tenant text is a value, never a template', () => {
  it('shows format syntax in a store name as written', () => {
    const name = '{{count}} $t(dash.titlePlain) {0.__class__} %s %d {} {{store}}';
    expect(i18next.t('dash.title', { store: name })).toBe(`Dashboard: ${name}`);
    expect(i18next.t('store.qrAlt', { code: '$t(dash.title) {{code}}' })).toBe('QR code $t(dash.title) {{code}}');
  });
});

describe('V15.3.6: keys from the server or a person pollute no prototype', () => {
  it('reads a mapping with __proto__ and constructor keys as plain rows and sends it back as plain data', () => {
    const rows = pairsOf(JSON.parse(POLLUTING));
    expect(rows.map((row) => row.key).sort()).toEqual(['12', '__proto__', 'constructor']);
    const mapping = mappingOf([...rows, { key: '__proto__', store: 'x' }, { key: 'constructor', store: 'y' }]);
    expect(polluted()).toEqual([undefined, undefined, 'function']);
    expect(Object.getPrototypeOf(mapping)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(mapping))).toEqual(JSON.parse('{"12": "main", "__proto__": "x", "constructor": "y"}'));
  });

  it('copies a stored configuration without taking its __proto__ for a prototype', () => {
    const copy = withoutSecrets(JSON.parse(POLLUTING), ['constructor']);
    expect(polluted()).toEqual([undefined, undefined, 'function']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy).sort()).toEqual(['12', '__proto__']);
    expect((copy as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('V15.3.7: a `next` given more than once counts as none', () => {
  it('takes `next` only when it comes once', () => {
    expect(onlyNext(new URLSearchParams('next=/portal/team'))).toBe('/portal/team');
    expect(onlyNext(new URLSearchParams('next=/portal/team&next=//evil.example'))).toBeNull();
    expect(onlyNext(new URLSearchParams('next=//evil.example&next=/portal/team'))).toBeNull();
    expect(safeNext(onlyNext(new URLSearchParams('next=/portal/a&next=/portal/b')))).toBe('/portal');
  });
});
