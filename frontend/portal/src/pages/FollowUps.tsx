import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';

import { Layout } from '../components/Layout';
import { Pager, useCursorPages } from '../components/Pager';
import { Empty, ErrorNotice, Loading } from '../components/States';
import { locale } from '../format';
import type { FollowUpStatus } from '../gql/graphql';
import { FollowUpsQuery } from '../graphql/responses';

/** Follow-ups on one page of the inbox. */
export const INBOX_PAGE_SIZE = 25;
const STATUSES: FollowUpStatus[] = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];
type Shown = FollowUpStatus | 'ALL';

/** The status shown: ?status=open|acknowledged|resolved|all, open when absent or unknown. */
export function shownStatus(param: string | null): Shown {
  const upper = (param ?? '').toUpperCase();
  return upper === 'ALL' || STATUSES.includes(upper as FollowUpStatus) ? (upper as Shown) : 'OPEN';
}

/** The page of a follow-up by the bare UUID in its global id, as the alert emails link to it. */
export function followUpPath(id: string): string {
  let decoded = '';
  try {
    decoded = atob(id);
  } catch {
    decoded = '';
  }
  const [type, uuid] = decoded.split(':');
  return `/portal/follow-ups/${type === 'FollowUp' && uuid ? uuid : encodeURIComponent(id)}`;
}

function Inbox({ shown }: { shown: Shown }) {
  const { t, i18n } = useTranslation();
  const pages = useCursorPages();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: FollowUpsQuery,
    variables: { status: shown === 'ALL' ? null : [shown], first: INBOX_PAGE_SIZE, after: pages.after },
    requestPolicy: 'cache-and-network',
  });
  const when = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  const connection = data?.followUps;
  const items = connection?.edges.map((e) => e.node) ?? [];
  if (items.length === 0) {
    return <Empty><p data-testid="follow-ups-empty">{t(`followUps.empty_${shown}`)}</p></Empty>;
  }
  return (
    <>
      <ul className="inbox" data-testid="follow-ups">
        {items.map((f) => (
          <li key={f.id} className="card">
            <h2 className="inbox-title"><Link to={followUpPath(f.id)}>{f.title}</Link></h2>
            <p className="inbox-facts">
              <span className={`status status-${f.status.toLowerCase()}`}>{t(`followUp.${f.status}`)}</span>
              {f.store && <span>{f.store.name}</span>}
              <span>{t('followUps.opened', { when: when.format(new Date(f.createdAt)) })}</span>
              <span>{f.assignee ? t('followUps.assignee', { name: f.assignee.name || f.assignee.email })
                : t('followUps.unassigned')}</span>
            </p>
          </li>
        ))}
      </ul>
      <Pager page={pages.page} hasNext={connection?.pageInfo.hasNextPage ?? false}
        endCursor={connection?.pageInfo.endCursor} onNext={pages.next} onPrevious={pages.previous}
        label={t('followUps.pages')} />
    </>
  );
}

/** The follow-up inbox: the follow-ups the person may see (store managers: their stores'), by status, newest
 * first, each linking to its page. */
export function FollowUpsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const shown = shownStatus(params.get('status'));
  const choose = (status: Shown) => setParams(status === 'OPEN' ? {} : { status: status.toLowerCase() },
    { replace: true });
  return (
    <Layout title={t('followUps.title')}>
      <div className="periods" role="group" aria-label={t('followUps.statusFilter')}>
        {[...STATUSES, 'ALL' as const].map((status) => (
          <button key={status} type="button" aria-pressed={shown === status} onClick={() => choose(status)}>
            {status === 'ALL' ? t('followUps.all') : t(`followUp.${status}`)}
          </button>
        ))}
      </div>
      <Inbox key={shown} shown={shown} />
    </Layout>
  );
}
