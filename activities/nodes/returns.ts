// The returns plugin's activities: thin adapters from a step's input to the returns module
// (app/modules/returns: rma.server.ts is the RMA's state machine, processing.server.ts what each
// step does) and from its result to the step's handle and output. They hold no SQL and no rules.
import { ReturnInput } from '../../app/modules/returns/service.server.ts';
import { endReturn, loadReturn, type Ended } from '../../app/modules/returns/rma.server.ts';
import {
  advanceReturn,
  disposeReturn,
  exchangeReturn,
  inspectReturn,
  refundReturn,
  restockReturn,
  undoExchange,
  unrestockReturn,
} from '../../app/modules/returns/processing.server.ts';
import { openFlowRma } from '../../app/modules/returns/service.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { keyDigest, nodeActivity, originalKey, requireSubject, subjectId, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/** The replacement order an exchange step creates carries this external id (per channel), derived from the step's key. */
const replacementRefForKey = (rma: string, key: string): string => `${rma}-X${keyDigest(key, 6)}`;

export function returnsNodeActivities({ orm }: NodeDeps) {
  const returnOf = (input: NodeActivityInput) => requireSubject(input, 'returnId');
  const ids = (r: { id: number; number: string; order_id: number }) => ({ returnId: r.id, rma: r.number, orderId: r.order_id });

  /**
   * The RMA of the run. A return.requested trigger already made it (its id is in the payload);
   * otherwise it is opened from the payload's orderId, lines and reason under a number derived
   * from the key (RMA-<8 hex of sha256(key)>), so a retry finds the one the first call made.
   */
  const createRma: NodeActivity = async (input) => {
    const existingId = subjectId(input, 'returnId');
    if (existingId !== null) {
      const r = await loadReturn(orm.em.fork(), existingId);
      return { handle: 'ok', output: { ...ids(r), status: r.status, created: false } };
    }
    const orderId = requireSubject(input, 'orderId');
    const payload = input.context.trigger.payload ?? {};
    const raw: Record<keyof typeof ReturnInput.shape, unknown> = {
      reason: payload.reason ?? 'other',
      resolution: payload.resolution ?? 'refund',
      comment: payload.comment ?? undefined,
      lines: payload.lines,
    };
    const rma = await orm.em.fork().transactional((em) => openFlowRma(em, orderId, raw, `RMA-${keyDigest(input.key, 8)}`, workflowActor(input)));
    return { handle: 'ok', output: { returnId: rma.id, rma: rma.number, orderId, status: rma.status, created: rma.created } };
  };

  const step = (to: 'approved' | 'received') => async (input: NodeActivityInput) => {
    const id = returnOf(input);
    return orm.em.fork().transactional(async (em) => {
      const { r, changed, orderStatus } = await advanceReturn(em, id, to, workflowActor(input));
      return { handle: 'ok', output: { ...ids(r), status: r.status, changed, ...(orderStatus ? { orderStatus } : {}) } };
    });
  };

  /** Resellable or damaged by config.passExpression (JSONata over {reason, lines}); the RMA becomes inspected. */
  const inspect: NodeActivity = async (input) => {
    const expression = typeof input.config.passExpression === 'string' ? input.config.passExpression : undefined;
    const { r, result, changed } = await inspectReturn(orm, returnOf(input), expression, workflowActor(input));
    return { handle: result, output: { ...ids(r), result, changed } };
  };

  const restock: NodeActivity = async (input) =>
    orm.em.fork().transactional(async (em) => {
      const { r, ...done } = await restockReturn(em, returnOf(input), workflowActor(input));
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, ...done } };
    });

  /** Compensation of restock. */
  const unrestock: NodeActivity = async (input) =>
    orm.em.fork().transactional(async (em) => {
      const { r, levels } = await unrestockReturn(em, returnOf(input), workflowActor(input));
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, levels } };
    });

  const dispose: NodeActivity = async (input) =>
    orm.em.fork().transactional(async (em) => {
      const { r, changed } = await disposeReturn(em, returnOf(input), workflowActor(input));
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, disposed: true, changed } };
    });

  /** Not enough captured money, or a refused refund, is `failed`. */
  const refund: NodeActivity = async (input) => {
    const out = await refundReturn(orm, returnOf(input), input.key, workflowActor(input));
    const base = { returnId: out.r.id, rma: out.r.number };
    if ('failed' in out && out.failed) return { handle: 'failed', output: { ...base, ...out.failed } };
    return { handle: 'ok', output: out.refunded ? { ...base, refunded: true, amount: out.amount, refunds: out.refunds } : { ...base, refunded: false } };
  };

  /** Not enough stock for the replacement is `insufficient`, with nothing written. */
  const exchange: NodeActivity = async (input) => {
    const id = returnOf(input);
    return orm.em.fork().transactional(async (em) => {
      const r0 = await loadReturn(em, id);
      const { r, ...out } = await exchangeReturn(em, id, replacementRefForKey(r0.number, input.key), workflowActor(input));
      return { handle: 'shortages' in out ? 'insufficient' : 'ok', output: { ...ids(r), ...out } };
    });
  };

  /** Compensation of exchange. */
  const cancelExchange: NodeActivity = async (input) => {
    const id = returnOf(input);
    return orm.em.fork().transactional(async (em) => {
      const r0 = await loadReturn(em, id);
      const { r, ...out } = await undoExchange(em, id, replacementRefForKey(r0.number, originalKey(input.key)), workflowActor(input));
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, ...out } };
    });
  };

  /** returns.reject / returns.expire: the RMA ends (rma.server.ts endReturn). */
  const end = (to: Ended) => async (input: NodeActivityInput) =>
    orm.em.fork().transactional(async (em) => {
      const { r, changed } = await endReturn(em, returnOf(input), to, workflowActor(input));
      return { handle: 'ok', output: { ...ids(r), status: to, changed } };
    });

  const activities = {
    'returns.createRma': createRma,
    'returns.reject': end('rejected'),
    'returns.expire': end('expired'),
    'returns.approve': step('approved'),
    'returns.receive': step('received'),
    'returns.inspect': inspect,
    'returns.restock': restock,
    'returns.unrestock': unrestock,
    'returns.dispose': dispose,
    'returns.refund': refund,
    'returns.exchange': exchange,
    'returns.cancelExchange': cancelExchange,
  };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
