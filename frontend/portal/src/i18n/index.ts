// The portal's texts in da, nb, sv and en: the shared ones in ./<language>.json, each area of the portal's in
// ./<area>/<language>.json under top-level keys of its own (the same keys in every language; a test checks they
// match). The language is the one chosen in the portal, else the browser's first supported one, else English.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGES = ['da', 'nb', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<string, string> = { da: 'Dansk', nb: 'Norsk', sv: 'Svenska', en: 'English' };

type Messages = Record<string, unknown>;

/** The messages of each language: every file named <language>.json below this folder, merged by top-level key. */
export function mergeMessages(files: Record<string, Messages>): Record<Language, Messages> {
  const merged = Object.fromEntries(LANGUAGES.map((language) => [language, {}])) as Record<Language, Messages>;
  for (const [path, messages] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const language = path.split('/').pop()?.replace(/\.json$/, '') as Language;
    if (!LANGUAGES.includes(language)) {
      throw new Error(`${path}: not a portal language`);
    }
    for (const [key, value] of Object.entries(messages)) {
      if (key in merged[language]) {
        throw new Error(`${path}: the key "${key}" is already defined by another file`);
      }
      merged[language][key] = value;
    }
  }
  return merged;
}

const messages = mergeMessages(import.meta.glob<Messages>('./**/*.json', { eager: true, import: 'default' }));
export const resources = Object.fromEntries(
  LANGUAGES.map((language) => [language, { translation: messages[language] }]),
) as Record<Language, { translation: Messages }>;
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
