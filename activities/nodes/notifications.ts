// The notifications plugin's activities: a customer email about the run's order, and an alert to
// staff (the dashboards' bell and an email to the roles that should know). Both happen once per key.
import { ApplicationFailure } from '@temporalio/common';
import { NOTIFICATION_TEMPLATES, ROLES, type NotificationTemplate, type Role } from '../../entities/constants.ts';
import { auditNow } from '../../app/lib/audit.server.ts';
import { raiseStaffAlert } from '../../app/modules/notifications/alerts.server.ts';
import { enqueueNotificationRow, hasRecommendations, type EnqueueInput } from '../../app/modules/notifications/service.server.ts';
import { ALERT_SEVERITIES, type AlertSeverity, type SlaKind } from '../../app/modules/notifications/staff-mail.ts';
import { nodeActivity, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/** Who is emailed about an alert when its node names no roles (the SLA timers name none). */
const DEFAULT_ALERT_ROLES: readonly Role[] = ['ops_manager', 'admin'];

const SLA_KINDS: readonly string[] = ['unprocessed', 'unshipped'] satisfies SlaKind[];

/** config.emailRoles: the roles to email; absent means the default, an empty list means the bell only. */
function alertRoles(value: unknown): Role[] {
  if (!Array.isArray(value)) return [...DEFAULT_ALERT_ROLES];
  return value.filter((r): r is Role => (ROLES as readonly string[]).includes(String(r)));
}

export function notificationsNodeActivities({ orm }: NodeDeps) {
  /** Queues config.template for the order (one mail per order and template, so a retry queues nothing). */
  const email: NodeActivity = async (input) => {
    const orderId = requireSubject(input, 'orderId');
    const template = input.config.template;
    if (typeof template !== 'string' || !(NOTIFICATION_TEMPLATES as readonly string[]).includes(template)) {
      throw ApplicationFailure.nonRetryable(`Unknown email template ${String(template)}.`, 'bad_template');
    }
    // Nothing bought together with what the customer bought (a new shop, a first order of a rare product): no mail.
    if (template === 'recommendations' && !(await hasRecommendations(orm.em.fork(), orderId)))
      return { handle: 'ok', output: { orderId, template, notificationId: null, queued: false, skipped: 'no_recommendations' } };
    return orm.em.fork().transactional(async (em) => {
      const { id, queued } = await enqueueNotificationRow(em, { orderId, template: template as NotificationTemplate } as EnqueueInput);
      if (queued)
        await auditNow(em, workflowActor(input), {
          action: 'notification.queued',
          entityType: 'Order',
          entityId: orderId,
          after: { notificationId: id, template },
        });
      return { handle: 'ok', output: { orderId, template, notificationId: id, queued } };
    });
  };

  /**
   * Raises an alert: the dashboards' bell (outbox `alert.raised`), its audit event, and an email to
   * every active user in config.emailRoles (default ops managers and admins) in each one's
   * language, all in one transaction and once per key, so a retried step neither rings nor mails twice.
   */
  const alert: NodeActivity = async (input) => {
    const message = String(input.config.message ?? '').trim();
    if (!message) throw ApplicationFailure.nonRetryable('An alert needs a message.', 'bad_config');
    const severity: AlertSeverity = (ALERT_SEVERITIES as readonly string[]).includes(String(input.config.severity))
      ? (input.config.severity as AlertSeverity)
      : 'warning';
    const sla = SLA_KINDS.includes(String(input.config.kind)) ? (input.config.kind as SlaKind) : null;
    const roles = alertRoles(input.config.emailRoles);
    const payload = input.context.trigger.payload ?? {};
    const subject = typeof payload.number === 'string' && payload.number ? payload.number : null;
    const promisedBy = typeof payload.promisedBy === 'string' && !Number.isNaN(Date.parse(payload.promisedBy)) ? payload.promisedBy : null;
    return orm.em.fork().transactional(async (em) => {
      const r = await raiseStaffAlert(
        em,
        { key: input.key, workflowId: input.workflowId, nodeId: input.nodeId, message, severity, sla, roles, subject, promisedBy },
        workflowActor(input),
      );
      return { handle: 'ok', output: { message, severity, ...r } };
    });
  };

  const activities = { 'notifications.email': email, 'notifications.alert': alert };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
