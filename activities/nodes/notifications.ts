// The notifications plugin's activities: a customer email about the run's order, and an alert on
// the dashboards. Both happen once per key.
import { ApplicationFailure } from '@temporalio/common';
import { NOTIFICATION_TEMPLATES, type NotificationTemplate } from '../../entities/constants.ts';
import { audit } from '../../app/lib/audit.server.ts';
import { publish } from '../../app/lib/outbox.server.ts';
import { enqueueNotification, type EnqueueInput } from '../../app/modules/notifications/service.server.ts';
import { lockKey, nodeActivity, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

const SEVERITIES = ['info', 'warning', 'critical'] as const;

export function notificationsNodeActivities({ orm }: NodeDeps) {
  /** Queues config.template for the order (one mail per order and template, so a retry queues nothing). */
  const email: NodeActivity = async (input) => {
    const orderId = requireSubject(input, 'orderId');
    const template = input.config.template;
    if (typeof template !== 'string' || !(NOTIFICATION_TEMPLATES as readonly string[]).includes(template)) {
      throw ApplicationFailure.nonRetryable(`Unknown email template ${String(template)}.`, 'bad_template');
    }
    return orm.em.fork().transactional(async (em) => {
      const id = await enqueueNotification(em, { orderId, template: template as NotificationTemplate } as EnqueueInput);
      if (id !== null) audit(em, workflowActor(input), { action: 'notification.queued', entityType: 'Order', entityId: orderId, after: { notificationId: id, template } });
      const [row] = id !== null ? [{ id }] : await em.execute<{ id: number }[]>('select id from notification where order_id = ? and template = ?', [orderId, template]);
      return { handle: 'ok', output: { orderId, template, notificationId: row?.id ?? null, queued: id !== null } };
    });
  };

  /** Raises an alert on the dashboards topic (outbox `alert.raised`) with its audit event, once per key. */
  const alert: NodeActivity = async (input) => {
    const message = String(input.config.message ?? '').trim();
    if (!message) throw ApplicationFailure.nonRetryable('An alert needs a message.', 'bad_config');
    const severity = (SEVERITIES as readonly string[]).includes(String(input.config.severity)) ? String(input.config.severity) : 'warning';
    return orm.em.fork().transactional(async (em) => {
      await lockKey(em, `alert:${input.key}`);
      const [done] = await em.execute<{ id: number }[]>(
        `select id from audit_event where entity_type = 'Workflow' and entity_id = ? and action = 'workflow.alert_raised' and after ->> 'key' = ? limit 1`, [input.workflowId, input.key]);
      if (!done) {
        publish(em, 'dashboards', 'alert.raised', { message, severity, workflowId: input.workflowId, nodeId: input.nodeId, key: input.key });
        audit(em, workflowActor(input), { action: 'workflow.alert_raised', entityType: 'Workflow', entityId: input.workflowId, after: { message, severity, nodeId: input.nodeId, key: input.key } });
      }
      return { handle: 'ok', output: { message, severity, raised: !done } };
    });
  };

  const activities = { 'notifications.email': email, 'notifications.alert': alert };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
