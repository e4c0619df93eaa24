// Numbers, intervals and dates as a store manager reads them, in the portal's language.
export type Language = 'da' | 'nb' | 'sv' | 'en';

const LOCALES: Record<Language, string> = { da: 'da-DK', nb: 'nb-NO', sv: 'sv-SE', en: 'en-GB' };

export function locale(language: string): string {
  return LOCALES[language as Language] ?? LOCALES.en;
}

/** A number with `digits` decimals in the language's notation ("—" when unknown). */
export function formatNumber(value: number | null | undefined, language: string, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '—';
  }
  return new Intl.NumberFormat(locale(language), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A signed change ("+1,2"), for projected uplifts. */
export function formatChange(value: number | null | undefined, language: string, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '—';
  }
  return new Intl.NumberFormat(locale(language), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: 'exceptZero',
  }).format(value);
}

/** An interval "low–high" ("" when either end is unknown). */
export function formatInterval(low: number | null | undefined, high: number | null | undefined, language: string,
  digits = 1): string {
  if (low === null || low === undefined || high === null || high === undefined) {
    return '';
  }
  return `${formatNumber(low, language, digits)}–${formatNumber(high, language, digits)}`;
}

/** A day as the language writes it (e.g. "2. dec. 2026"). */
export function formatDay(isoDate: string, language: string): string {
  const [year, month, day] = isoDate.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(locale(language), { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(Date.UTC(year, month - 1, day)));
}

/** A local calendar day as YYYY-MM-DD. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export type PeriodKey = 'today' | '7d' | '30d' | '90d';
export const PERIODS: PeriodKey[] = ['today', '7d', '30d', '90d'];

/** The days a period covers, ending on `today` (both ends included). */
export function periodDates(key: PeriodKey, today: Date): { from: string; to: string } {
  const days = { today: 1, '7d': 7, '30d': 30, '90d': 90 }[key];
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: isoDay(start), to: isoDay(today) };
}
