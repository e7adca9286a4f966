import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RenderedCanned } from '../../modules/service/canned.server.ts';

export interface CannedPickerProps {
  /** cannedFor(em, ticketId, agentName) from the ticket route's loader: every canned response rendered for this ticket. */
  canned: RenderedCanned[];
  /** Puts the chosen text into the reply box (the ticket page owns the box). */
  onInsert: (text: string) => void;
}

/** Choose a canned response, rendered for this ticket in its language, and insert it into the reply. */
export function CannedPicker({ canned, onInsert }: CannedPickerProps) {
  const { t } = useTranslation();
  const [id, setId] = useState<number | null>(null);
  const chosen = canned.find((c) => c.id === id) ?? null;
  if (!canned.length) return <p className="muted">{t('macros.picker.none')}</p>;
  return (
    <div className="canned-picker" data-testid="canned-picker">
      <label className="field">
        <span>{t('macros.picker.label')}</span>
        <select value={id ?? ''} onChange={(e) => setId(e.currentTarget.value ? Number(e.currentTarget.value) : null)} data-testid="canned-select">
          <option value="">{t('macros.picker.choose')}</option>
          {canned.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {chosen ? (
        <>
          {chosen.error ? (
            <p className="form-error" role="alert">
              {t('macros.errors.templateInvalid', { message: chosen.error })}
            </p>
          ) : (
            <pre className="canned-preview" data-testid="canned-preview">
              {chosen.text}
            </pre>
          )}
          {chosen.unknown.length ? <p className="muted small">{t('macros.errors.unknownVariables', { names: chosen.unknown.join(', ') })}</p> : null}
          <button type="button" onClick={() => onInsert(chosen.text)} disabled={!!chosen.error || !chosen.text} data-testid="canned-insert">
            {t('macros.picker.insert')}
          </button>
        </>
      ) : null}
    </div>
  );
}
