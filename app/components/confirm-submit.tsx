import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A submit button for a destructive action: it first asks, in a dialog, and submits its form (with its
 * name and value) only when confirmed. Escape or "Keep" closes the dialog and nothing is sent.
 */
export function ConfirmSubmit({
  name,
  value,
  label,
  question,
  confirmLabel,
  disabled,
  className = 'danger',
  testId,
}: {
  name: string;
  value: string;
  label: string;
  question: string;
  confirmLabel?: string;
  disabled?: boolean;
  className?: string;
  testId?: string;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    confirm.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => setOpen(true)} data-testid={testId}>
        {label}
      </button>
      {open ? (
        <div className="dialog-scrim" role="presentation" onClick={() => setOpen(false)}>
          <div
            role="alertdialog"
            aria-modal="true"
            aria-label={question}
            className="dialog card"
            onClick={(e) => e.stopPropagation()}
            data-testid="confirm-dialog"
          >
            <p>{question}</p>
            <div className="inline-actions">
              <button
                ref={confirm}
                type="submit"
                name={name}
                value={value}
                className={className}
                onClick={() => setTimeout(() => setOpen(false))}
                data-testid="confirm-yes"
              >
                {confirmLabel ?? label}
              </button>
              <button type="button" onClick={() => setOpen(false)} data-testid="confirm-no">
                {t('common.keep')}
              </button>
            </div>
          </div>
        </div>
      ) : null}
    </>
  );
}

/** A result that shows for a while in the corner (and stays readable to screen readers as a status). */
export function Toast({ children, tone = 'success', testId }: { children: React.ReactNode; tone?: 'success' | 'warning' | 'error'; testId?: string }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(true);
  useEffect(() => {
    setShown(true);
    const id = setTimeout(() => setShown(false), 8000);
    return () => clearTimeout(id);
  }, [children]);
  if (!shown) return null;
  return (
    <div className={`toast notice ${tone}`} role="status">
      <span data-testid={testId}>{children}</span>
      <button type="button" className="link-button" onClick={() => setShown(false)} aria-label={t('common.dismiss')}>
        ×
      </button>
    </div>
  );
}
