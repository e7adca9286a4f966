import { useTranslation } from 'react-i18next';
import { formatDate, formatDateTime, formatMoney } from '../lib/format.ts';
import { useRootData } from '../root.tsx';

export function useLocale() {
  return useRootData()?.locale ?? 'en';
}

export function Money({ minor, currency }: { minor: number; currency: string }) {
  return <span className="num">{formatMoney(minor, currency, useLocale())}</span>;
}

export function DateTime({ value }: { value: string | null | undefined }) {
  const locale = useLocale();
  return value ? <time dateTime={value}>{formatDateTime(value, locale)}</time> : null;
}

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {t(`orderStatus.${status}`)}
    </span>
  );
}

export function DateOnly({ value }: { value: string | null | undefined }) {
  const locale = useLocale();
  return value ? <time dateTime={value}>{formatDate(value, locale)}</time> : null;
}
