import { useTranslation } from 'react-i18next';

/** A purchase order's status as a coloured badge. */
export function PoStatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge po-${status}`} data-status={status}>
      {t(`purchasing.status.${status}`)}
    </span>
  );
}
