// The portal's texts in da, nb, sv and en (one JSON file each, the same keys; a test checks they match).
// The language is the one chosen in the portal, else the browser's first supported one, else English.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

import da from './da.json';
import en from './en.json';
import nb from './nb.json';
import sv from './sv.json';

export const LANGUAGES = ['da', 'nb', 'sv', 'en'] as const;
export const LANGUAGE_NAMES: Record<string, string> = { da: 'Dansk', nb: 'Norsk', sv: 'Svenska', en: 'English' };
export const resources = { da: { translation: da }, nb: { translation: nb }, sv: { translation: sv },
  en: { translation: en } };
const KEY = 'pejling.portal.language';

/** The first supported language among the stored choice and the browser's languages. */
export function pickLanguage(stored: string | null, browser: readonly string[]): string {
  for (const candidate of [stored ?? '', ...browser]) {
    const base = candidate.toLowerCase().split('-')[0];
    const language = base === 'no' || base === 'nn' ? 'nb' : base;
    if ((LANGUAGES as readonly string[]).includes(language)) {
      return language;
    }
  }
  return 'en';
}

export function rememberLanguage(language: string): void {
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
  void i18next.changeLanguage(language);
}

export function startI18n(language?: string): typeof i18next {
  const chosen = language ?? pickLanguage(localStorage.getItem(KEY), navigator.languages ?? [navigator.language]);
  document.documentElement.lang = chosen;
  void i18next.use(initReactI18next).init({
    resources,
    lng: chosen,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return i18next;
}
