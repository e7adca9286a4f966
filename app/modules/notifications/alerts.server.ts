// Staff alerts raised by flows: the dashboards' bell (outbox `alert.raised`), its audit event, and an
// email to every active user in the named roles in each one's language, once per key.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { Role } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { advisoryLock, db } from '../../lib/db.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { enqueueMail, publicUrl } from './service.server.ts';
import { renderStaffAlert, type AlertSeverity, type SlaKind } from './staff-mail.ts';
import { emailLocale } from './templates.ts';

export interface StaffAlert {
  /** Once per key: a retried step neither rings nor mails twice. */
  key: string;
  workflowId: string;
  nodeId: string;
  message: string;
  severity: AlertSeverity;
  sla: SlaKind | null;
  roles: Role[];
  subject: string | null;
  promisedBy: string | null;
  /** Where the bell and the mail link to, a path in the console (default: the run's page). */
  href?: string;
  /** The bell's text in the reader's language (i18next key and values); `message` stays for the mail and the log. */
  messageKey?: string;
  params?: Record<string, string | number>;
}

/** Raises the alert in em's transaction; `raised` is false when its key raised it already. */
export async function raiseStaffAlert(em: EntityManager, a: StaffAlert, actor: Actor): Promise<{ raised: boolean; emailed: number }> {
  await advisoryLock(em, `alert:${a.key}`);
  const done = await db(em)
    .selectFrom('audit_event')
    .select('id')
    .where('entity_type', '=', 'Workflow')
    .where('entity_id', '=', a.workflowId)
    .where('action', '=', 'workflow.alert_raised')
    .where(sql<string>`after ->> 'key'`, '=', a.key)
    .limit(1)
    .executeTakeFirst();
  if (done) return { raised: false, emailed: 0 };
  const staff = a.roles.length
    ? await db(em)
        .selectFrom('app_user')
        .select(['id', 'email', 'name', 'locale'])
        .where('active', '=', true)
        .where('role', 'in', a.roles)
        .orderBy('id')
        .execute()
    : [];
  const raisedAt = new Date();
  const runUrl = a.href?.startsWith('/') ? `${publicUrl()}${a.href}` : `${publicUrl()}/workflows/runs/${encodeURIComponent(a.workflowId)}`;
  const emailed: string[] = [];
  for (const user of staff) {
    const locale = emailLocale(user.locale);
    const mail = renderStaffAlert(locale, {
      recipientName: user.name,
      message: a.message,
      severity: a.severity,
      sla: a.sla,
      subject: a.subject,
      promisedBy: a.promisedBy,
      workflowId: a.workflowId,
      nodeId: a.nodeId,
      raisedAt,
      runUrl,
    });
    if ((await enqueueMail(em, { key: `alert:${a.key}:user:${user.id}`, template: 'staff_alert', to: user.email, locale, mail })) !== null)
      emailed.push(user.email);
  }
  publish(em, 'dashboards', 'alert.raised', {
    message: a.message,
    severity: a.severity,
    workflowId: a.workflowId,
    nodeId: a.nodeId,
    key: a.key,
    ...(a.sla ? { sla: a.sla } : {}),
    ...(a.href?.startsWith('/') ? { href: a.href } : {}),
    ...(a.messageKey ? { messageKey: a.messageKey, params: a.params ?? {} } : {}),
  });
  audit(em, actor, {
    action: 'workflow.alert_raised',
    entityType: 'Workflow',
    entityId: a.workflowId,
    after: { message: a.message, severity: a.severity, nodeId: a.nodeId, key: a.key, roles: a.roles, emailed },
  });
  return { raised: true, emailed: emailed.length };
}
