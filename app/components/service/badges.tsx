import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

export function TicketStatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge ticket-${status}`} data-status={status} data-testid="ticket-status">
      {t(`ticketStatus.${status}`)}
    </span>
  );
}

export function PriorityBadge({ priority }: { priority: string }) {
  const { t } = useTranslation();
  if (priority === 'normal' || priority === 'low') return null;
  return <span className={`badge priority-${priority}`}>{t(`ticketPriority.${priority}`)}</span>;
}

/** Minutes from now, refreshed every 30 s on the client (the server's render says the same at load). */
function useMinutesUntil(at: string | null): number | null {
  const calc = () => (at ? Math.round((Date.parse(at) - Date.now()) / 60_000) : null);
  const [mins, setMins] = useState(calc);
  useEffect(() => {
    setMins(calc());
    const id = setInterval(() => setMins(calc()), 30_000);
    return () => clearInterval(id);
  }, [at]);
  return mins;
}

/** "in 25 min", "overdue 2 h", or "paused": the earliest running SLA target. */
export function DueIn({ at, paused }: { at: string | null; paused?: boolean }) {
  const { t } = useTranslation();
  const mins = useMinutesUntil(at);
  if (paused) return <span className="badge sla-paused">{t('service.sla.paused')}</span>;
  if (mins === null) return <span className="muted">—</span>;
  const abs = Math.abs(mins);
  const text =
    abs < 60
      ? t('service.sla.minutes', { count: abs })
      : abs < 48 * 60
        ? t('service.sla.hours', { count: Math.round(abs / 60) })
        : t('service.sla.days', { count: Math.round(abs / 1440) });
  const cls = mins < 0 ? 'sla-breached' : mins <= 60 ? 'sla-soon' : 'sla-ok';
  return (
    <span className={`badge ${cls}`} data-testid="sla-due" title={at ?? undefined}>
      {mins < 0 ? t('service.sla.overdue', { time: text }) : t('service.sla.dueIn', { time: text })}
    </span>
  );
}
