import { useTranslation } from 'react-i18next';
import type { TimelineEntry } from '../../modules/service/queries.server.ts';
import { DateTime } from '../format.tsx';

/** What happened to the ticket, newest first (from its audit events). */
export function TicketTimeline({ entries }: { entries: TimelineEntry[] }) {
  const { t } = useTranslation();
  if (!entries.length) return null;
  return (
    <section className="card" data-testid="ticket-timeline">
      <h2>{t('service.timeline')}</h2>
      <ul className="timeline">
        {entries.map((e, i) => (
          <li key={`${e.at}-${i}`}>
            <DateTime value={e.at} /> ·{' '}
            {t([`service.events.${e.action.replace(/^ticket\./, '').replace(/\./g, '_')}`, `macros.timeline.${e.action}`], { defaultValue: e.action })}
            {e.after && 'status' in e.after ? <> → {t(`ticketStatus.${String(e.after.status)}`, { defaultValue: String(e.after.status) })}</> : null}
            {e.actor ? <span className="muted small"> · {e.actor}</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
