// The demo's workflows, drawn from the node catalogue: "Standard order", "Standard return" and
// "Reorder", each published as version 1 and bound to its event. Node ids stay readable because
// they show in run views, task inboxes and activity keys.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Graph, GraphEdge, GraphNode } from '../../workflows/graph.ts';
import type { BindingEvent, WorkflowKind } from '../../entities/workflows.ts';
import type { Actor } from '../../app/lib/audit.server.ts';
import { createBinding, createDefinition, publish } from '../../app/modules/workflows/service.server.ts';

type Step = [id: string, type: string, config: Record<string, unknown>, lane: number, label?: string];
type Wire = [source: string, handle: string, target: string];

const LANE_WIDTH = 260;
const ROW_HEIGHT = 120;

/**
 * A graph from steps and wires, laid out top to bottom: y by depth (longest path from the trigger),
 * x by the step's lane (branches to the sides, the main path in lane 0).
 */
export function buildGraph(steps: Step[], wires: Wire[]): Graph {
  const depth = new Map<string, number>([[steps[0][0], 0]]);
  // Longest-path depths; the seeded flows have no cycles, so |steps| rounds settle it.
  for (let round = 0; round < steps.length; round++) {
    for (const [source, , target] of wires) {
      const d = (depth.get(source) ?? -1) + 1;
      if (depth.has(source) && d > (depth.get(target) ?? -1)) depth.set(target, d);
    }
  }
  const nodes: GraphNode[] = steps.map(([id, type, config, lane, label]) => ({
    id,
    type,
    position: { x: lane * LANE_WIDTH, y: (depth.get(id) ?? 0) * ROW_HEIGHT },
    data: { ...(label ? { label } : {}), config },
  }));
  const edges: GraphEdge[] = wires.map(([source, handle, target]) => ({ id: `${source}.${handle}->${target}`, source, sourceHandle: handle, target }));
  return { nodes, edges };
}

export const STANDARD_ORDER = buildGraph(
  [
    ['trigger', 'control.trigger', { event: 'order.created', slaNode: 'pick', slaAfter: '2h', shipNode: 'ship', shipMargin: '1d' }, 0, 'Order created'],
    ['validate', 'orders.validate', {}, 0, 'Validate'],
    ['approve_hold', 'control.human', { title: 'Approve held order', roles: ['ops_manager'], timeout: '2d' }, 1, 'Approve held order'],
    ['reserve', 'orders.reserve', {}, 0, 'Reserve stock'],
    ['already_paid', 'control.condition', { expression: "status = 'paid'" }, 0, 'Already paid?'],
    ['payment_method', 'control.switch', { expression: 'paymentMethod', cases: [{ value: 'test-card', handle: 'card' }] }, 0, 'Payment method'],
    ['authorise', 'payments.authorise', {}, -1, 'Authorise card'],
    ['await_payment', 'control.signal', { signal: 'payment_confirmed', timeout: '7d' }, 0, 'Wait for payment'],
    ['route', 'orders.route', {}, 0, 'Route'],
    ['pick', 'fulfilment.pickList', { method: 'warehouse_default' }, 0, 'Pick list'],
    ['await_packed', 'control.signal', { signal: 'packed' }, 0, 'Wait until packed'],
    ['ship', 'fulfilment.ship', {}, 0, 'Ship'],
    ['capture', 'payments.capture', {}, -1, 'Capture card payment'],
    ['email_shipped', 'notifications.email', { template: 'order_shipped' }, 0, 'Email: shipped'],
    ['await_delivered', 'control.signal', { signal: 'delivered' }, 0, 'Wait for delivery'],
    ['end', 'control.end', { result: 'complete' }, 0, 'Done'],
    ['cancel', 'orders.cancel', { reason: 'workflow' }, 2, 'Cancel order'],
    ['end_cancelled', 'control.end', { result: 'complete', message: 'Order cancelled' }, 2, 'Cancelled'],
  ],
  [
    ['trigger', 'out', 'validate'],
    ['validate', 'ok', 'reserve'],
    ['validate', 'hold', 'approve_hold'],
    ['approve_hold', 'approved', 'reserve'],
    ['approve_hold', 'rejected', 'cancel'],
    ['approve_hold', 'timeout', 'cancel'],
    ['reserve', 'ok', 'already_paid'],
    ['already_paid', 'true', 'route'],
    ['already_paid', 'false', 'payment_method'],
    ['reserve', 'insufficient', 'cancel'],
    ['payment_method', 'card', 'authorise'],
    ['payment_method', 'default', 'await_payment'],
    ['authorise', 'ok', 'capture'],
    ['capture', 'ok', 'route'],
    ['capture', 'failed', 'cancel'],
    ['authorise', 'declined', 'cancel'],
    ['await_payment', 'received', 'route'],
    ['await_payment', 'timeout', 'cancel'],
    ['route', 'ok', 'pick'],
    ['pick', 'ok', 'await_packed'],
    ['await_packed', 'received', 'ship'],
    ['ship', 'ok', 'email_shipped'],
    ['email_shipped', 'ok', 'await_delivered'],
    ['await_delivered', 'received', 'end'],
    ['cancel', 'ok', 'end_cancelled'],
  ],
);

/** Returns worth more than this (minor units of the order's currency) need a person's approval. */
const RETURN_APPROVAL_THRESHOLD_MINOR = 20_000;

const STANDARD_RETURN = buildGraph(
  [
    ['trigger', 'control.trigger', { event: 'return.requested' }, 0, 'Return requested'],
    ['create_rma', 'returns.createRma', {}, 0, 'Create RMA'],
    ['check_amount', 'control.condition', { expression: `amountMinor > ${RETURN_APPROVAL_THRESHOLD_MINOR}` }, 0, 'Worth over the threshold?'],
    ['approve_return', 'control.human', { title: 'Approve return', roles: ['ops_manager', 'agent'], timeout: '3d' }, -1, 'Approve return'],
    ['approve', 'returns.approve', {}, 0, 'Approve RMA'],
    ['reject', 'returns.reject', {}, -2, 'Reject RMA'],
    ['end_rejected', 'control.end', { result: 'complete', message: 'Return rejected' }, -2, 'Rejected'],
    ['expire', 'returns.expire', {}, 2, 'Close as expired'],
    ['await_goods', 'control.signal', { signal: 'goods_received', timeout: '30d' }, 0, 'Wait for the parcel'],
    ['end_expired', 'control.end', { result: 'complete', message: 'Parcel never arrived' }, 2, 'Expired'],
    ['receive', 'returns.receive', {}, 0, 'Receive'],
    ['inspect', 'returns.inspect', { passExpression: "reason != 'damaged'" }, 0, 'Inspect'],
    ['restock', 'returns.restock', {}, -1, 'Restock'],
    ['dispose', 'returns.dispose', {}, 1, 'Dispose'],
    ['resolution', 'control.switch', { expression: 'resolution', cases: [{ value: 'exchange', handle: 'exchange' }] }, 0, 'Refund or exchange?'],
    ['refund', 'returns.refund', {}, -1, 'Refund'],
    ['exchange', 'returns.exchange', {}, 1, 'Exchange'],
    ['alert_refund', 'notifications.alert', { message: 'A return refund failed; refund it by hand.', severity: 'critical' }, -2, 'Alert: refund failed'],
    [
      'alert_exchange',
      'notifications.alert',
      { message: 'No stock for a return exchange; offer a refund.', severity: 'warning' },
      2,
      'Alert: no stock to exchange',
    ],
    ['notify_done', 'notifications.alert', { message: 'Return resolved.', severity: 'info' }, 0, 'Notify: resolved'],
    ['end', 'control.end', { result: 'complete' }, 0, 'Done'],
  ],
  [
    ['trigger', 'out', 'create_rma'],
    ['create_rma', 'ok', 'check_amount'],
    ['check_amount', 'true', 'approve_return'],
    ['check_amount', 'false', 'approve'],
    ['approve_return', 'approved', 'approve'],
    ['approve_return', 'rejected', 'reject'],
    ['approve_return', 'timeout', 'reject'],
    ['reject', 'ok', 'end_rejected'],
    ['approve', 'ok', 'await_goods'],
    ['await_goods', 'received', 'receive'],
    ['await_goods', 'timeout', 'expire'],
    ['expire', 'ok', 'end_expired'],
    ['receive', 'ok', 'inspect'],
    ['inspect', 'resellable', 'restock'],
    ['inspect', 'damaged', 'dispose'],
    ['restock', 'ok', 'resolution'],
    ['dispose', 'ok', 'resolution'],
    ['resolution', 'default', 'refund'],
    ['resolution', 'exchange', 'exchange'],
    ['refund', 'ok', 'notify_done'],
    ['refund', 'failed', 'alert_refund'],
    ['exchange', 'ok', 'notify_done'],
    ['exchange', 'insufficient', 'alert_exchange'],
    ['notify_done', 'ok', 'end'],
    ['alert_refund', 'ok', 'end'],
    ['alert_exchange', 'ok', 'end'],
  ],
);

/** Purchase orders costing more than this (minor units) need a person's approval. */
const PO_APPROVAL_THRESHOLD_MINOR = 500_000;
/** Without a known cost (inventory.draftPo reports `totalMinor` when it knows the unit cost), a large quantity needs approval. */
const PO_APPROVAL_QUANTITY = 500;
const PO_APPROVAL_EXPRESSION = `$exists(nodes.draft_po.totalMinor) ? nodes.draft_po.totalMinor > ${PO_APPROVAL_THRESHOLD_MINOR} : nodes.draft_po.quantity > ${PO_APPROVAL_QUANTITY}`;

export const REORDER = buildGraph(
  [
    ['trigger', 'control.trigger', { event: 'stock.low' }, 0, 'Stock low'],
    ['check_atp', 'inventory.checkAtp', {}, 0, 'Check available stock'],
    ['end_enough', 'control.end', { result: 'complete', message: 'Stock recovered' }, 2, 'Enough stock'],
    ['draft_po', 'inventory.draftPo', { velocityDays: 30, coverDays: 30 }, 0, 'Draft purchase order'],
    ['check_cost', 'control.condition', { expression: PO_APPROVAL_EXPRESSION }, 0, 'Costs over the threshold?'],
    ['approve_po_task', 'control.human', { title: 'Approve purchase order', roles: ['ops_manager'], timeout: '3d' }, -1, 'Approve purchase order'],
    ['end_rejected', 'control.end', { result: 'compensate', message: 'Purchase order rejected' }, -2, 'Rejected (cancel the draft)'],
    ['approve_po', 'inventory.approvePo', {}, 0, 'Approve PO'],
    ['send_po', 'inventory.sendPo', {}, 0, 'Send to supplier'],
    ['await_goods', 'control.signal', { signal: 'goods_received', timeout: '60d' }, 0, 'Wait for the goods'],
    ['alert_late', 'notifications.alert', { message: 'A purchase order has not arrived in 60 days.', severity: 'warning' }, 1, 'Alert: late delivery'],
    ['receive_po', 'inventory.receivePo', {}, 0, 'Receive'],
    ['end', 'control.end', { result: 'complete' }, 0, 'Done'],
  ],
  [
    ['trigger', 'out', 'check_atp'],
    ['check_atp', 'low', 'draft_po'],
    ['check_atp', 'ok', 'end_enough'],
    ['draft_po', 'ok', 'check_cost'],
    ['check_cost', 'true', 'approve_po_task'],
    ['check_cost', 'false', 'approve_po'],
    ['approve_po_task', 'approved', 'approve_po'],
    ['approve_po_task', 'rejected', 'end_rejected'],
    ['approve_po_task', 'timeout', 'end_rejected'],
    ['approve_po', 'ok', 'send_po'],
    ['send_po', 'ok', 'await_goods'],
    ['await_goods', 'received', 'receive_po'],
    ['await_goods', 'timeout', 'alert_late'],
    ['alert_late', 'ok', 'end'],
    ['receive_po', 'ok', 'end'],
  ],
);

export const SEED_FLOWS: { key: string; name: string; description: string; kind: WorkflowKind; event: BindingEvent; graph: Graph }[] = [
  {
    key: 'standard-order',
    name: 'Standard order',
    kind: 'order',
    event: 'order.created',
    graph: STANDARD_ORDER,
    description: 'Validate (held orders need an ops manager), reserve, take payment, route, pick, pack, ship, email the customer and wait for delivery.',
  },
  {
    key: 'standard-return',
    name: 'Standard return',
    kind: 'return',
    event: 'return.requested',
    graph: STANDARD_RETURN,
    description: `RMA, approval above ${RETURN_APPROVAL_THRESHOLD_MINOR / 100} (else automatic), receive, inspect, restock or dispose, then refund or exchange.`,
  },
  {
    key: 'reorder',
    name: 'Reorder',
    kind: 'reorder',
    event: 'stock.low',
    graph: REORDER,
    description: `Check stock, draft a purchase order, approval above ${PO_APPROVAL_THRESHOLD_MINOR / 100}, send it and receive the goods.`,
  },
];

/** Creates the three flows, publishes each as version 1 and binds it to its event. */
export async function seedWorkflows(orm: MikroORM, actor: Actor): Promise<void> {
  for (const flow of SEED_FLOWS) {
    const { id } = await createDefinition(orm, { key: flow.key, name: flow.name, description: flow.description, kind: flow.kind, graph: flow.graph }, actor);
    await publish(orm, id, 'Demo flow', actor);
    await createBinding(orm, { event: flow.event, definitionId: id, priority: 100, active: true }, actor);
  }
}
