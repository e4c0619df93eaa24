import { describe, expect, it } from 'vitest';

import { formatChange, formatDay, formatInterval, formatNumber, periodDates } from './format';
import { globalId } from './ids';
import { mergeMessages, pickLanguage, resources } from './i18n';
import { safeNext } from './pages/Login';
import { slugFrom } from './pages/Signup';
import { zoneNames } from './pages/Stores';
import { cookie, csrfCookieName } from './graphql/client';

describe('numbers in the four languages', () => {
  it('writes decimals the way each language does', () => {
    expect(formatNumber(3.25, 'en', 1)).toBe('3.3');
    expect(formatNumber(3.25, 'da', 1)).toBe('3,3');
    expect(formatNumber(3.2, 'sv', 2)).toBe('3,20');
    expect(formatNumber(null, 'nb')).toBe('—');
  });

  it('signs a projected change and writes an interval', () => {
    expect(formatChange(0.42, 'en')).toBe('+0.4');
    expect(formatChange(-1.25, 'da')).toBe('-1,3');
    expect(formatInterval(0.1, 0.9, 'en')).toBe('0.1–0.9');
    expect(formatInterval(null, 0.9, 'en')).toBe('');
  });

  it('writes a day without shifting it by the time zone', () => {
    expect(formatDay('2026-12-02', 'en')).toContain('2026');
    expect(formatDay('2026-12-02', 'en')).toMatch(/^2 Dec/);
  });
});

describe('periods', () => {
  it('counts both ends', () => {
    expect(periodDates('today', new Date(2026, 11, 2))).toEqual({ from: '2026-12-02', to: '2026-12-02' });
    expect(periodDates('7d', new Date(2026, 11, 2))).toEqual({ from: '2026-11-26', to: '2026-12-02' });
    expect(periodDates('30d', new Date(2026, 0, 10))).toEqual({ from: '2025-12-12', to: '2026-01-10' });
  });
});

describe('small rules of the pages', () => {
  it('encodes a bare follow-up UUID as a global id and keeps a global id', () => {
    const uuid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
    expect(atob(globalId('FollowUp', uuid))).toBe(`FollowUp:${uuid}`);
    expect(globalId('FollowUp', 'Rm9sbG93VXA6eA==')).toBe('Rm9sbG93VXA6eA==');
  });

  it('follows only paths of this site after logging in', () => {
    expect(safeNext('/portal/follow-ups/1')).toBe('/portal/follow-ups/1');
    expect(safeNext('//evil.example/')).toBe('/portal');
    expect(safeNext('https://evil.example/')).toBe('/portal');
    expect(safeNext('/\\evil.example')).toBe('/portal');
    expect(safeNext(null)).toBe('/portal');
  });

  it('makes a web address from a Nordic business name', () => {
    expect(slugFrom('Nordlys Interiør Århus')).toBe('nordlys-interioer-aarhus');
    expect(slugFrom('  Café Ä/S  ')).toBe('cafe-ae-s');
  });

  it('reads zone names from a list', () => {
    expect(zoneNames('Entrance, Checkout,\n checkout,,Fitting rooms')).toEqual(['Entrance', 'Checkout', 'Fitting rooms']);
  });

  it('reads the CSRF cookie', () => {
    expect(cookie('csrf_token', 'a=1; csrf_token=abc%3D; b=2')).toBe('abc=');
    expect(cookie('csrf_token', 'a=1')).toBe('');
    expect(cookie('__Host-csrf_token', 'csrf_token=plain; __Host-csrf_token=tls')).toBe('tls');
  });

  it('names the CSRF cookie by the scheme, __Host- over HTTPS only', () => {
    expect(csrfCookieName('https:')).toBe('__Host-csrf_token');
    expect(csrfCookieName('http:')).toBe('csrf_token');
  });

  it('picks a supported language', () => {
    expect(pickLanguage(null, ['no-NO', 'en'])).toBe('nb');
    expect(pickLanguage('sv', ['da'])).toBe('sv');
    expect(pickLanguage(null, ['fr-FR'])).toBe('en');
  });
});

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) {
    return [prefix];
  }
  return Object.entries(value).flatMap(([key, inner]) => keys(inner, prefix ? `${prefix}.${key}` : key)).sort();
}

describe('messages', () => {
  it('has the same keys, none empty, in da, nb, sv and en', () => {
    const english = keys(resources.en.translation);
    for (const language of ['da', 'nb', 'sv'] as const) {
      expect(keys(resources[language].translation)).toEqual(english);
    }
    for (const language of ['da', 'nb', 'sv', 'en'] as const) {
      const texts = JSON.stringify(resources[language].translation);
      expect(texts).not.toMatch(/"\s*"/);
    }
  });
});

describe('mergeMessages', () => {
  it('merges the area files of a language and refuses a key two files define', () => {
    const merged = mergeMessages({ './en.json': { a: 'x' }, './team/en.json': { team: { b: 'y' } }, './da.json': { a: 'z' } });
    expect(merged.en).toEqual({ a: 'x', team: { b: 'y' } });
    expect(merged.da).toEqual({ a: 'z' });
    expect(() => mergeMessages({ './en.json': { a: 'x' }, './team/en.json': { a: 'y' } })).toThrow(/"a"/);
    expect(() => mergeMessages({ './fr.json': { a: 'x' } })).toThrow(/not a portal language/);
  });
});
