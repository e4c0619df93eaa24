// Previous / next through a keyset-paged list (the API's first/after cursors): the cursors of the pages passed
// are kept, so "previous" goes back without the API paging backwards.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** The cursor of the page shown (null: the first page), and moving to the next or the previous page. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const next = useCallback((endCursor: string) => setCursors((passed) => [...passed, endCursor]), []);
  const previous = useCallback(() => setCursors((passed) => (passed.length > 1 ? passed.slice(0, -1) : passed)), []);
  const reset = useCallback(() => setCursors([null]), []);
  return { after: cursors[cursors.length - 1], page: cursors.length, next, previous, reset };
}

type Props = {
  page: number;
  hasNext: boolean;
  endCursor: string | null | undefined;
  onNext: (endCursor: string) => void;
  onPrevious: () => void;
  label: string;
};

/** The page buttons under a list; nothing when everything fits on the first page. */
export function Pager({ page, hasNext, endCursor, onNext, onPrevious, label }: Props) {
  const { t } = useTranslation();
  if (page === 1 && !hasNext) {
    return null;
  }
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={page === 1} onClick={onPrevious}>{t('pager.previous')}</button>
      <span aria-live="polite">{t('pager.page', { page })}</span>
      <button type="button" className="secondary" disabled={!hasNext || !endCursor}
        onClick={() => endCursor && onNext(endCursor)}>{t('pager.next')}</button>
    </nav>
  );
}
