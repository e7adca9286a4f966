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

/** The seeded steps' names in Chinese, by their English name (a step shows the reader's language on the canvas). */
const STEP_NAMES: Record<string, [zhCN: string, zhTW: string]> = {
  'Order created': ['订单已创建', '訂單已建立'],
  Validate: ['校验', '校驗'],
  'Approve held order': ['审批挂起订单', '審批暫停訂單'],
  'Reserve stock': ['预留库存', '預留庫存'],
  'Already paid?': ['已付款？', '已付款？'],
  'Payment method': ['付款方式', '付款方式'],
  'Authorise card': ['授权银行卡', '授權信用卡'],
  'Wait for payment': ['等待付款', '等待付款'],
  Route: ['分配仓库', '分配倉庫'],
  'Pick list': ['拣货单', '揀貨單'],
  'Wait until packed': ['等待打包', '等待包裝'],
  Ship: ['发货', '出貨'],
  'Capture card payment': ['扣款', '請款'],
  'Email: shipped': ['邮件：已发货', '郵件：已出貨'],
  'Wait for delivery': ['等待签收', '等待簽收'],
  Done: ['完成', '完成'],
  'Cancel order': ['取消订单', '取消訂單'],
  Cancelled: ['已取消', '已取消'],
  'Return requested': ['退货申请', '退貨申請'],
  'Create RMA': ['创建退货单', '建立退貨單'],
  'Worth over the threshold?': ['金额超过阈值？', '金額超過門檻？'],
  'Approve return': ['审批退货', '審批退貨'],
  'Approve RMA': ['批准退货单', '核准退貨單'],
  'Reject RMA': ['拒绝退货单', '拒絕退貨單'],
  Rejected: ['已拒绝', '已拒絕'],
  'Close as expired': ['逾期关闭', '逾期關閉'],
  'Wait for the parcel': ['等待退货包裹', '等待退貨包裹'],
  Expired: ['已逾期', '已逾期'],
  Receive: ['收货', '收貨'],
  Inspect: ['质检', '檢驗'],
  Restock: ['重新入库', '重新入庫'],
  Dispose: ['报废', '報廢'],
  'Refund or exchange?': ['退款还是换货？', '退款還是換貨？'],
  Refund: ['退款', '退款'],
  Exchange: ['换货', '換貨'],
  'Alert: refund failed': ['警报：退款失败', '警報：退款失敗'],
  'Notify: resolved': ['通知：已处理', '通知：已處理'],
  'Stock low': ['库存不足', '庫存不足'],
  'Check available stock': ['检查可用库存', '檢查可用庫存'],
  'Enough stock': ['库存充足', '庫存充足'],
  'Draft purchase order': ['起草采购单', '草擬採購單'],
  'Costs over the threshold?': ['金额超过阈值？', '金額超過門檻？'],
  'Approve purchase order': ['审批采购单', '審批採購單'],
  'Rejected (cancel the draft)': ['已拒绝（取消草稿）', '已拒絕（取消草稿）'],
  'Approve PO': ['批准采购单', '核准採購單'],
  'Send to supplier': ['发送给供应商', '傳送給供應商'],
  'Wait for the goods': ['等待到货', '等待到貨'],
  'Alert: late delivery': ['警报：到货延迟', '警報：到貨延遲'],
  'Alert: no stock to exchange': ['警报：换货无库存', '警報：換貨無庫存'],
};

/** The seeded flows' names and descriptions in Chinese. */
const FLOW_NAMES: Record<string, Record<'zh-CN' | 'zh-TW', { name: string; description: string }>> = {
  'standard-order': {
    'zh-CN': { name: '标准订单', description: '校验（挂起的订单需运营经理审批）、预留库存、收款、分配仓库、拣货、打包、发货、邮件通知客户并等待签收。' },
    'zh-TW': { name: '標準訂單', description: '校驗（暫停的訂單需營運經理審批）、預留庫存、收款、分配倉庫、揀貨、包裝、出貨、郵件通知客戶並等待簽收。' },
  },
  'standard-return': {
    'zh-CN': { name: '标准退货', description: '创建退货单，超过阈值需审批（否则自动批准），收货、质检、重新入库或报废，然后退款或换货。' },
    'zh-TW': { name: '標準退貨', description: '建立退貨單，超過門檻需審批（否則自動核准），收貨、檢驗、重新入庫或報廢，然後退款或換貨。' },
  },
  reorder: {
    'zh-CN': { name: '补货', description: '检查库存、起草采购单，超过阈值需审批，发送给供应商并收货。' },
    'zh-TW': { name: '補貨', description: '檢查庫存、草擬採購單，超過門檻需審批，傳送給供應商並收貨。' },
  },
};

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
    data: { ...(label ? { label, labels: { en: label, 'zh-CN': STEP_NAMES[label]?.[0] ?? label, 'zh-TW': STEP_NAMES[label]?.[1] ?? label } } : {}), config },
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
    const { id } = await createDefinition(
      orm,
      { key: flow.key, name: flow.name, description: flow.description, kind: flow.kind, graph: flow.graph, translations: FLOW_NAMES[flow.key] },
      actor,
    );
    await publish(orm, id, 'Demo flow', actor);
    await createBinding(orm, { event: flow.event, definitionId: id, priority: 100, active: true }, actor);
  }
}
