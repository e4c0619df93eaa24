// A labelled form field whose error (a typed error of the API naming this field) is read out with it.
import { useId, type InputHTMLAttributes } from 'react';

type Props = InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | null; hint?: string };

export function Field({ label, error, hint, ...input }: Props) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && <p className="hint" id={`${id}-hint`}>{hint}</p>}
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {error && <p className="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

/** The message of the error on `field`, from a mutation's typed errors. */
export function errorOn(errors: readonly { field?: string | null; message: string }[] | undefined,
  field: string): string | null {
  const found = errors?.find((e) => e.field === field || (e.field ?? '').endsWith(`.${field}`));
  return found ? found.message : null;
}
