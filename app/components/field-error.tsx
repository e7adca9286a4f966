import { useTranslation } from 'react-i18next';
import type { FieldError } from '../lib/problem.ts';

export function FieldErrorText({ error }: { error?: FieldError }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <span className="field-error" role="alert">
      {t(error.messageKey, error.params)}
    </span>
  );
}
