// An export made by a job (responses, the whole tenant): a button starts it, its progress is polled to a bar, and
// the finished file gets a download link. The two pages that export differ only in what they start and their words.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useQuery } from 'urql';

import { samePath } from '../downloads';
import { ErrorNotice } from './States';

/** How often a running export is asked for its progress. */
export const EXPORT_POLL_MS = 1000;

export type ExportState = {
  id: string; status: string; progress: number; rowsDone: number; rowsTotal?: number | null;
  downloadUrl?: string | null;
};
/** What starting an export answered: the job, or typed errors; `failed` when the request itself failed. */
export type ExportStart = { failed: boolean; export?: ExportState | null; errors?: readonly { message: string }[] };
/** The page's words for each state of the export. */
export type ExportTexts = {
  start: string; progress: string; queued: string; failed: string; ready: string; download: string;
  rows: (done: number, total: number) => string;
};

export function ExportJob({ start, starting, progressQuery, texts }: {
  start: () => Promise<ExportStart>;
  starting: boolean;
  progressQuery: TypedDocumentNode<{ export?: ExportState | null }, { id: string }>;
  texts: ExportTexts;
}) {
  const { t } = useTranslation();
  const [exportId, setExportId] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [{ data }, refetch] = useQuery({ query: progressQuery, variables: { id: exportId ?? '' }, pause: !exportId,
    requestPolicy: 'network-only' });
  const current = exportId ? data?.export : undefined;
  const done = current?.status === 'SUCCEEDED' || current?.status === 'FAILED';
  useEffect(() => {
    if (!exportId || done) {
      return undefined;
    }
    const timer = window.setTimeout(() => refetch({ requestPolicy: 'network-only' }), EXPORT_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [exportId, done, data, refetch]);
  const onStart = async () => {
    setMessage(null);
    setExportId(null);
    const answer = await start();
    if (answer.failed) {
      setMessage(t('state.error'));
    } else if ((answer.errors?.length ?? 0) > 0 || !answer.export) {
      setMessage(answer.errors?.[0]?.message ?? t('state.error'));
    } else {
      setExportId(answer.export.id);
    }
  };
  const percent = Math.round((current?.progress ?? 0) * 100);
  const running = Boolean(exportId) && !done;
  return (
    <>
      {message && <ErrorNotice message={message} />}
      <button type="button" onClick={onStart} disabled={starting || running}>{texts.start}</button>
      {exportId && (
        <div className="export-progress">
          <div role="progressbar" className="progress" aria-label={texts.progress} aria-valuemin={0}
            aria-valuemax={100} aria-valuenow={percent} aria-valuetext={`${percent} %`}>
            <span className="progress-done" style={{ width: `${percent}%` }} />
          </div>
          <p className="hint" aria-live="polite" data-testid="export-rows">
            {current?.rowsTotal !== null && current?.rowsTotal !== undefined
              ? texts.rows(current.rowsDone, current.rowsTotal)
              : !done ? texts.queued : ''}
          </p>
        </div>
      )}
      {current?.status === 'FAILED' && <ErrorNotice message={texts.failed} />}
      {current?.status === 'SUCCEEDED' && current.downloadUrl && (
        <p role="status">
          {texts.ready} <a href={samePath(current.downloadUrl)} download>{texts.download}</a>
        </p>
      )}
    </>
  );
}
