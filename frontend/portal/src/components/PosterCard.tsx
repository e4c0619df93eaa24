import { useTranslation } from 'react-i18next';

import { samePath, tenantDownload } from '../downloads';
import { Empty } from './States';

/** A survey code's downloads as the store page and the onboarding show them. */
export type PosterCode = {
  code: string; url: string; svgUrl: string; pngUrl: string; posterA4Url: string; posterA5Url: string;
};

/**
 * The QR poster card of a store: the code's image and its poster, PNG and survey-link downloads, or, before the
 * store has a code, `emptyText` and a button that makes one (`onMake`, disabled while `making`).
 */
export function PosterCard({ code, tenantSlug, emptyText, onMake, making, showLink = false }: {
  code?: PosterCode; tenantSlug: string; emptyText: string; onMake: () => void; making: boolean; showLink?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <section className="card" aria-labelledby="poster-title">
      <h2 id="poster-title">{t('store.posterTitle')}</h2>
      {!code ? (
        <Empty>
          <p>{emptyText}</p>
          <button type="button" onClick={onMake} disabled={making}>{t('store.makeCode')}</button>
        </Empty>
      ) : (
        <div className="poster">
          <img src={tenantDownload(code.svgUrl, tenantSlug)} alt={t('store.qrAlt', { code: code.code })} width={160} height={160} />
          <div>
            <p>{t('store.posterIntro')}</p>
            <ul className="downloads">
              <li><a href={tenantDownload(code.posterA4Url, tenantSlug)} download>{t('store.posterA4')}</a></li>
              <li><a href={tenantDownload(code.posterA5Url, tenantSlug)} download>{t('store.posterA5')}</a></li>
              <li><a href={tenantDownload(code.pngUrl, tenantSlug)} download>{t('store.qrPng')}</a></li>
            </ul>
            {showLink && (
              <p>{t('store.surveyLink')} <a href={samePath(code.url)} target="_blank" rel="noopener" data-testid="survey-link">{code.url}</a></p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
