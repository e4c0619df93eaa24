// The empty, loading and error states every page shows while it has nothing else to show.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return <p className="state state-loading" role="status" aria-live="polite">{label ?? t('state.loading')}</p>;
}

export function ErrorNotice({ message, onRetry }: { message?: string; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="state state-error" role="alert">
      <p>{message ?? t('state.error')}</p>
      {onRetry && <button type="button" onClick={onRetry}>{t('state.retry')}</button>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** The readable message of a mutation's typed errors (the first one), or null when there is none. */
export function firstError(errors: readonly { message: string }[] | undefined | null): string | null {
  return errors && errors.length > 0 ? errors[0].message : null;
}
