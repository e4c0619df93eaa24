import { useTranslation } from 'react-i18next';

import { locale } from '../format';
import { useLiveCount } from '../live';

/** "N responses today", kept current as responses arrive, with the latest ones as a feed (time, zone, channel);
 * screen readers hear each change. */
export function LiveCounter({ storeId, tenantSlug, zones = [] }: {
  storeId: string; tenantSlug: string; zones?: readonly { id: string; name: string }[];
}) {
  const { t, i18n } = useTranslation();
  const { count, status, recent } = useLiveCount(storeId, tenantSlug);
  const time = new Intl.DateTimeFormat(locale(i18n.language), { hour: '2-digit', minute: '2-digit' });
  const zoneName = (id: string | null) => zones.find((zone) => zone.id === id)?.name;
  return (
    <section className="card live" aria-labelledby="live-title">
      <h2 id="live-title">{t('live.title')}</h2>
      <p className="live-count" aria-live="polite" data-testid="live-count" data-count={count ?? ''}>
        {count === null ? t('live.connecting') : t('live.count', { count })}
      </p>
      {status === 'reconnecting' && <p className="hint">{t('live.reconnecting')}</p>}
      {recent.length > 0 && (
        <>
          <h3>{t('live.latest')}</h3>
          <ol className="live-feed" data-testid="live-feed">
            {recent.map((response) => (
              <li key={response.id}>
                <time dateTime={response.receivedAt}>{time.format(new Date(response.receivedAt))}</time>
                {' · '}{t(`live.channel_${response.channel}`, { defaultValue: response.channel })}
                {zoneName(response.zone) && ` · ${zoneName(response.zone)}`}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
