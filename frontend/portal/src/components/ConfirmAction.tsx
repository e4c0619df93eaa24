// A destructive action (revoke, retire, delete) that asks first, in a small modal dialog: focus moves into it,
// Tab stays inside, Escape or "Cancel" closes it, and focus goes back to the button that opened it.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';

type Props = {
  /** The button's text, e.g. "Retire". */
  label: string;
  /** What the button acts on, read out with it by screen readers (e.g. the tag's label); not shown. */
  target?: string;
  /** The dialog's question, e.g. "Retire the tag Entrance?". */
  question: string;
  /** What happens, said under the question. */
  children?: ReactNode;
  /** The confirming button's text, e.g. "Yes, retire". */
  confirmLabel: string;
  /** Runs on confirming; the dialog stays open (its buttons disabled) until it settles. */
  onConfirm: () => unknown;
  disabled?: boolean;
};

/** A button that opens a confirmation dialog; `onConfirm` runs only when the person confirms. */
export function ConfirmAction({ label, target, question, children, confirmLabel, onConfirm, disabled }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) {
      wasOpen.current = true;
      cancel.current?.focus(); // the safe choice first
    } else if (wasOpen.current) {
      wasOpen.current = false;
      opener.current?.focus();
    }
  }, [open]);
  const close = () => {
    if (!busy) {
      setOpen(false);
    }
  };
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setOpen(false);
    }
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      const focusable = Array.from(dialog.current?.querySelectorAll<HTMLElement>('button:not([disabled])') ?? []);
      if (focusable.length === 0) {
        event.preventDefault();
        return;
      }
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  };
  return (
    <>
      <button type="button" className="secondary" ref={opener} disabled={disabled} aria-haspopup="dialog"
        onClick={() => setOpen(true)}>
        {label}{target && <> <span className="visually-hidden">{target}</span></>}
      </button>
      {open && createPortal(
        <div className="dialog-backdrop" onClick={close}>
          <div className="dialog card" role="dialog" aria-modal="true" aria-labelledby={`${id}-question`}
            aria-describedby={children ? `${id}-detail` : undefined} ref={dialog} onKeyDown={onKeyDown}
            onClick={(event) => event.stopPropagation()}>
            <h2 id={`${id}-question`}>{question}</h2>
            {children && <div id={`${id}-detail`}>{children}</div>}
            <div className="actions">
              <button type="button" className="danger" disabled={busy} onClick={confirm}>{confirmLabel}</button>
              <button type="button" className="secondary" ref={cancel} disabled={busy} onClick={close}>
                {t('confirmAction.cancel')}
              </button>
            </div>
          </div>
        </div>,
        document.body,
      )}
    </>
  );
}
