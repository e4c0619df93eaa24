import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { Layout } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/States';
import { AcknowledgeFollowUpMutation, FollowUpQuery, ResolveFollowUpMutation } from '../graphql/operations';
import { globalId } from '../ids';

/** A follow-up as the emails link to it (/portal/follow-ups/<id>): what happened, and acknowledge / resolve. */
export function FollowUpPage() {
  const { t, i18n } = useTranslation();
  const { followUpId = '' } = useParams();
  const id = globalId('FollowUp', followUpId);
  const [{ data, fetching, error }, refetch] = useQuery({ query: FollowUpQuery, variables: { id } });
  const [ackState, acknowledge] = useMutation(AcknowledgeFollowUpMutation);
  const [resolveState, resolve] = useMutation(ResolveFollowUpMutation);
  const [message, setMessage] = useState<string | null>(null);
  const busy = ackState.fetching || resolveState.fetching;
  const run = async (action: 'acknowledge' | 'resolve') => {
    const result = action === 'acknowledge' ? await acknowledge({ id }) : await resolve({ id });
    const payload = result.data && ('acknowledgeFollowUp' in result.data ? result.data.acknowledgeFollowUp
      : result.data.resolveFollowUp);
    setMessage(result.error ? t('state.error') : payload?.errors[0]?.message ?? null);
    refetch({ requestPolicy: 'network-only' });
  };
  if (fetching && !data) {
    return <Layout title={t('followUp.title')}><Loading /></Layout>;
  }
  if (error && !data) {
    return <Layout title={t('followUp.title')}><ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} /></Layout>;
  }
  const followUp = data?.followUp;
  if (!followUp) {
    return <Layout title={t('followUp.title')}><ErrorNotice message={t('followUp.notFound')} /></Layout>;
  }
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <Layout title={followUp.title}>
      <section className="card">
        <p><strong>{t('followUp.status')}:</strong> <span data-testid="follow-up-status">{t(`followUp.${followUp.status}`)}</span></p>
        {followUp.store && <p><strong>{t('followUp.store')}:</strong> {followUp.store.name}</p>}
        <p><strong>{t('followUp.opened')}:</strong> {when.format(new Date(followUp.createdAt))}</p>
        {message && <ErrorNotice message={message} />}
        <div className="actions">
          {followUp.status === 'OPEN' && (
            <button type="button" onClick={() => run('acknowledge')} disabled={busy}>{t('followUp.acknowledge')}</button>
          )}
          {followUp.status === 'ACKNOWLEDGED' && (
            <button type="button" onClick={() => run('resolve')} disabled={busy}>{t('followUp.resolve')}</button>
          )}
        </div>
      </section>
      {followUp.notes.length > 0 && (
        <section className="card" aria-labelledby="notes-title">
          <h2 id="notes-title">{t('followUp.notes')}</h2>
          <ul>{followUp.notes.map((note) => <li key={note.id}><p>{note.text}</p><p className="hint">{note.authorName}</p></li>)}</ul>
        </section>
      )}
    </Layout>
  );
}
