import { useTranslation } from 'react-i18next';

import { useLiveCount } from '../live';

/** "N responses today", kept current as responses arrive; screen readers hear each change. */
export function LiveCounter({ storeId, tenantSlug }: { storeId: string; tenantSlug: string }) {
  const { t } = useTranslation();
  const { count, status } = useLiveCount(storeId, tenantSlug);
  return (
    <section className="card live" aria-labelledby="live-title">
      <h2 id="live-title">{t('live.title')}</h2>
      <p className="live-count" aria-live="polite" data-testid="live-count" data-count={count ?? ''}>
        {count === null ? t('live.connecting') : t('live.count', { count })}
      </p>
      {status === 'reconnecting' && <p className="hint">{t('live.reconnecting')}</p>}
    </section>
  );
}
