import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { errorOn } from '../components/Field';
import { Layout } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/States';
import {
  AcknowledgeFollowUpMutation, AddFollowUpNoteMutation, FollowUpQuery, ReopenFollowUpMutation,
  ReplyToShopperMutation, ResolveFollowUpMutation,
} from '../graphql/operations';
import { globalId } from '../ids';

type Errors = readonly { code: string; message: string; field?: string | null }[];
type Action = 'acknowledge' | 'resolve' | 'reopen';

/** A note for the team, kept on the follow-up. */
function NoteForm({ id, onAdded }: { id: string; onAdded: () => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [state, add] = useMutation(AddFollowUpNoteMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await add({ id, text });
    const payload = result.data?.addFollowUpNote;
    setErrors(result.error ? [{ code: 'error', message: t('state.error') }] : payload?.errors ?? []);
    if (payload?.note) {
      setText('');
      onAdded();
    }
  };
  const error = errorOn(errors, 'text') ?? errors[0]?.message;
  return (
    <form onSubmit={onSubmit} className="note-form">
      <label htmlFor="note-text">{t('followUp.addNote')}</label>
      <textarea id="note-text" value={text} required rows={3} onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined} aria-describedby={error ? 'note-error' : undefined} />
      {error && <p id="note-error" className="field-error">{error}</p>}
      <button type="submit" disabled={state.fetching}>{t('followUp.saveNote')}</button>
    </form>
  );
}

/** A reply mailed to a shopper who asked to be contacted; the API refuses it for anyone else (no_consent). */
function ReplyForm({ responseId, followUpId, onSent }: { responseId: string; followUpId: string; onSent: () => void }) {
  const { t } = useTranslation();
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [sent, setSent] = useState(false);
  const [state, reply] = useMutation(ReplyToShopperMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSent(false);
    const result = await reply({ responseId, followUpId, text, subject: subject.trim() || null });
    const payload = result.data?.replyToShopper;
    setErrors(result.error ? [{ code: 'error', message: t('state.error') }] : payload?.errors ?? []);
    if (payload?.reply) {
      setText('');
      setSubject('');
      setSent(true);
      onSent();
    }
  };
  const textError = errorOn(errors, 'text');
  const other = errors.find((e) => e.field !== 'text' && e.field !== 'subject');
  return (
    <form onSubmit={onSubmit} className="reply-form">
      <label htmlFor="reply-subject">{t('followUp.replySubject')}</label>
      <input id="reply-subject" value={subject} onChange={(e) => setSubject(e.target.value)}
        aria-invalid={errorOn(errors, 'subject') ? true : undefined} />
      {errorOn(errors, 'subject') && <p className="field-error">{errorOn(errors, 'subject')}</p>}
      <label htmlFor="reply-text">{t('followUp.replyText')}</label>
      <textarea id="reply-text" value={text} required rows={5} onChange={(e) => setText(e.target.value)}
        aria-invalid={textError ? true : undefined} aria-describedby={textError ? 'reply-error' : undefined} />
      {textError && <p id="reply-error" className="field-error">{textError}</p>}
      {other && <ErrorNotice message={other.message} />}
      {sent && <p role="status">{t('followUp.replySent')}</p>}
      <button type="submit" disabled={state.fetching}>{t('followUp.sendReply')}</button>
    </form>
  );
}

/** A follow-up as the emails link to it (/portal/follow-ups/<id>): what happened and the response behind it;
 * acknowledge, resolve or reopen; notes for the team; a reply to the shopper when they asked for one. */
export function FollowUpPage() {
  const { t, i18n } = useTranslation();
  const { followUpId = '' } = useParams();
  const id = globalId('FollowUp', followUpId);
  const [{ data, fetching, error }, refetch] = useQuery({ query: FollowUpQuery, variables: { id } });
  const [ackState, acknowledge] = useMutation(AcknowledgeFollowUpMutation);
  const [resolveState, resolve] = useMutation(ResolveFollowUpMutation);
  const [reopenState, reopen] = useMutation(ReopenFollowUpMutation);
  const [message, setMessage] = useState<string | null>(null);
  const busy = ackState.fetching || resolveState.fetching || reopenState.fetching;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const run = async (action: Action) => {
    const result = action === 'acknowledge' ? await acknowledge({ id })
      : action === 'resolve' ? await resolve({ id }) : await reopen({ id });
    const data = result.data as Record<string, { errors: Errors } | undefined> | undefined;
    const payload = data && Object.values(data)[0];
    setMessage(result.error ? t('state.error') : payload?.errors[0]?.message ?? null);
    reload();
  };
  if (fetching && !data) {
    return <Layout title={t('followUp.title')}><Loading /></Layout>;
  }
  if (error && !data) {
    return <Layout title={t('followUp.title')}><ErrorNotice onRetry={reload} /></Layout>;
  }
  const followUp = data?.followUp;
  if (!followUp) {
    return <Layout title={t('followUp.title')}><ErrorNotice message={t('followUp.notFound')} /></Layout>;
  }
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  const response = followUp.response;
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
          {followUp.status === 'RESOLVED' && (
            <button type="button" onClick={() => run('reopen')} disabled={busy}>{t('followUp.reopen')}</button>
          )}
        </div>
      </section>
      {response && (
        <section className="card" aria-labelledby="response-title">
          <h2 id="response-title">{t('followUp.response')}</h2>
          <p data-testid="follow-up-score">
            {response.outcome === null ? t('followUp.noScore') : t('followUp.score', { score: response.outcome })}
          </p>
          <p className="comment">{response.comment || t('followUp.noComment')}</p>
          {response.consentContact
            ? <ReplyForm responseId={response.id} followUpId={followUp.id} onSent={reload} />
            : <p className="hint">{t('followUp.noConsent')}</p>}
          {followUp.replies.length > 0 && (
            <>
              <h3>{t('followUp.replies')}</h3>
              <ul>
                {followUp.replies.map((r) => (
                  <li key={r.id}><p><strong>{r.subject}</strong> · {when.format(new Date(r.createdAt))}</p><p>{r.text}</p></li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      <section className="card" aria-labelledby="notes-title">
        <h2 id="notes-title">{t('followUp.notes')}</h2>
        {followUp.notes.length > 0
          ? <ul>{followUp.notes.map((note) => <li key={note.id}><p>{note.text}</p><p className="hint">{note.authorName}</p></li>)}</ul>
          : <p className="hint">{t('followUp.noNotes')}</p>}
        <NoteForm id={followUp.id} onAdded={reload} />
      </section>
    </Layout>
  );
}
