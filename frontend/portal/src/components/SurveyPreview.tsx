// The survey as a shopper sees it: the real server-rendered page (`/s/<tenant>/<store>?preview=1`, which records
// nothing and may be framed by this origin only: core/surveys/pages.py) in a phone-sized frame.
import { useTranslation } from 'react-i18next';

import { LANGUAGE_NAMES, LANGUAGES } from '../i18n';

/** The address of a store's survey page in preview mode, in `language`. */
export function previewUrl(tenantSlug: string, storeSlug: string, language: string): string {
  const params = new URLSearchParams({ preview: '1', lang: language });
  return `/s/${encodeURIComponent(tenantSlug)}/${encodeURIComponent(storeSlug)}?${params.toString()}`;
}

type Props = {
  tenantSlug: string;
  storeSlug: string;
  language: string;
  onLanguage: (language: string) => void;
  /** Changes when the survey changes (the active version's id): the frame then loads the page again. */
  version: string;
};

export function SurveyPreview({ tenantSlug, storeSlug, language, onLanguage, version }: Props) {
  const { t } = useTranslation();
  return (
    <section className="card preview-card" aria-labelledby="preview-title">
      <h2 id="preview-title">{t('survey.previewTitle')}</h2>
      <p className="hint">{t('survey.previewIntro')}</p>
      <label className="field">
        <span>{t('survey.previewLanguage')}</span>
        <select value={language} onChange={(event) => onLanguage(event.target.value)}>
          {LANGUAGES.map((code) => <option key={code} value={code} lang={code}>{LANGUAGE_NAMES[code]}</option>)}
        </select>
      </label>
      <div className="phone-frame">
        <iframe key={`${version}:${language}:${storeSlug}`} title={t('survey.previewFrame')}
          src={previewUrl(tenantSlug, storeSlug, language)} data-testid="survey-preview" data-version={version} />
      </div>
    </section>
  );
}
