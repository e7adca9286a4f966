// The outbox dispatcher (runs in the worker): turns committed domain events into workflow runs and signals.
//
// - order.created / return.requested / stock.low: the matching binding's latest version starts the
//   `interpreter` workflow with a deterministic id (order-<id>, return-<id>, reorder-<level>-<yyyymmdd>),
//   and the run row is written. Starting twice is harmless (the id is taken: counted as done).
// - order.status_changed to packed / delivered / paid: the order's run gets packed / delivered /
//   payment_confirmed (no run: nothing to do).
// - ticket.created / ticket.sla_warning / ticket.sla_breached / ticket.solved (topic service): start
//   the bound flow like order.created (ticket-<id>, ticket-<id>-sla_breached-<target>-<due ms>, …).
// - po.goods_received (a purchase order received in full from the console, app/modules/purchasing):
//   the run named in it (a Reorder run that drafted the PO) gets goods_received (no run: nothing to do).
// - Every other row, and rows no binding matches: nothing to run; marked dispatched.
//
// Rows are handled in id order by one dispatcher at a time, so that an order's start always precedes
// its signals: a pass holds the `outbox` lease (a row in `lease`, renewed before each outbox row, lost
// to another worker only when it expires). No transaction or lock is open while Temporal is called:
// every call has a deadline, and the row is then marked dispatched (with its run row) in a short
// transaction. A dispatcher that dies between the call and the mark leaves the row to be sent again,
// which is harmless (a duplicate start is counted as done; the runs buffer signals). While Temporal is
// unreachable the row stays undispatched and the dispatcher retries with back-off. Wakes on NOTIFY
// outbox, and polls every 2 s in case a notification was missed.
import { markDispatched } from '../../lib/outbox.server.ts';
import { db } from '../../lib/db.server.ts';
import { sql } from 'kysely';
import crypto from 'node:crypto';
import pg from 'pg';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { InterpreterInput } from '../../../workflows/interpreter.ts';
import { matchBinding } from './service.server.ts';
import { ensureRun } from './runs.server.ts';
import { refundDue } from '../returns/service.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { compileGraph } from './compile.server.ts';
import { MACRO_APPROVAL_EVENT, approvalTitle, macroApprovalGraph } from '../service/approval-flow.ts';

/** Events that start runs, and the order status changes forwarded as signals. */
/** Events that start runs: domain events, and the firings of `schedule` and `manual` bindings (schedules.server.ts). */
const START_EVENTS = [
  'order.created',
  'return.requested',
  'stock.low',
  'schedule',
  'manual',
  'ticket.created',
  'ticket.sla_warning',
  'ticket.sla_breached',
  'ticket.solved',
] as const;
const STATUS_SIGNALS: Record<string, 'packed' | 'delivered' | 'payment_confirmed'> = {
  packed: 'packed',
  delivered: 'delivered',
  paid: 'payment_confirmed',
};

/** A purchase order received in full outside its Reorder run: the run (payload.workflowId) gets goods_received. */
export const PO_GOODS_RECEIVED = 'po.goods_received';

const BATCH = 200;
/** The longest a Temporal call (start, signal) may take before the row counts as blocked. */
const CALL_TIMEOUT_MS = 5_000;
/** How long the `outbox` lease lasts unless renewed: longer than one row takes, short enough for another worker to take over soon after a crash. */
const LEASE_MS = 15_000;

export interface DispatcherLog {
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}

export interface DispatcherOptions {
  orm: MikroORM;
  /** A Temporal client; a rejected promise counts as "Temporal unreachable". */
  temporal: () => Promise<Client>;
  taskQueue: string;
  log?: DispatcherLog;
  /** Deadline of each Temporal call (CALL_TIMEOUT_MS). */
  callTimeoutMs?: number;
  /** Lifetime of the dispatch lease between renewals (LEASE_MS). */
  leaseMs?: number;
}

/** An error's message with its causes' (the client wraps gRPC errors: "Failed to start Workflow: 4 DEADLINE_EXCEEDED: …"). */
const explain = (e: unknown): string => (!(e instanceof Error) ? String(e) : e.cause ? `${e.message}: ${explain(e.cause)}` : e.message);

/** Temporal could not be reached (or refused for a reason worth retrying): the row waits. */
export class TemporalUnavailable extends Error {
  constructor(cause: unknown) {
    super(explain(cause));
    this.name = 'TemporalUnavailable';
    this.cause = cause;
  }
}

/**
 * Sends a signal to a run. Returns false when no such run is going (not started, or finished);
 * any other failure is thrown.
 */
export async function signalRun(client: Client, workflowId: string, name: string, payload?: Record<string, unknown>): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(name, payload ?? {});
    return true;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

/** The run's workflow id for a start event; null when the payload lacks its id. */
export function workflowIdFor(event: string, payload: Record<string, unknown>, at: Date): string | null {
  const id = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && /^[\w-]+$/.test(v)) ? String(v) : null);
  switch (event) {
    case 'order.created':
      return id(payload.orderId) && `order-${id(payload.orderId)}`;
    case 'return.requested':
      return id(payload.returnId) && `return-${id(payload.returnId)}`;
    case 'stock.low':
      return id(payload.levelId) && `reorder-${id(payload.levelId)}-${at.toISOString().slice(0, 10).replace(/-/g, '')}`;
    case 'schedule':
      return id(payload.bindingId) && `schedule-${id(payload.bindingId)}-${at.toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
    case 'manual':
      return id(payload.bindingId) && id(payload.requestId) && `manual-${id(payload.bindingId)}-${id(payload.requestId)}`;
    // Service desk (app/modules/service): one run per ticket created, per fired SLA event, per solve.
    case 'ticket.created':
      return id(payload.ticketId) && `ticket-${id(payload.ticketId)}`;
    case 'ticket.sla_warning':
    case 'ticket.sla_breached': {
      const due = typeof payload.dueAt === 'string' ? Date.parse(payload.dueAt) : Number.NaN;
      const target = typeof payload.target === 'string' && /^[a-z_]+$/.test(payload.target) ? payload.target : null;
      return id(payload.ticketId) && target && !Number.isNaN(due) ? `ticket-${id(payload.ticketId)}-${event.slice(7)}-${target}-${due}` : null;
    }
    case 'ticket.solved':
      return id(payload.ticketId) && `ticket-${id(payload.ticketId)}-solved-${at.toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
    default:
      return null;
  }
}

/**
 * Facts a flow's expressions and binding filters commonly need, read once when the run starts (they
 * are then part of the pinned trigger): the order's payment and delivery method and total, a return's
 * value, a stock level's numbers. Keys already in the event win.
 */
export async function enrichPayload(em: EntityManager, event: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  let extra: Record<string, unknown> = {};
  if (event === 'order.created' && payload.orderId != null) {
    const o = await db(em)
      .selectFrom('sales_order as o')
      .innerJoin('channel as c', 'c.id', 'o.channel_id')
      .select(['o.payment_method', 'o.delivery_method', 'o.total_minor', 'o.currency', 'o.customer_id', 'c.code as channel', 'o.status'])
      .where('o.id', '=', Number(payload.orderId))
      .executeTakeFirst();
    if (o)
      extra = {
        paymentMethod: o.payment_method,
        deliveryMethod: o.delivery_method,
        totalMinor: Number(o.total_minor),
        currency: o.currency,
        customerId: Number(o.customer_id),
        channel: o.channel,
        status: o.status,
      };
  } else if (event === 'return.requested' && payload.returnId != null) {
    // What the return refunds, as the refund step will pay it (the discount and added tax shared over the lines).
    const due = await refundDue(em, Number(payload.returnId)).catch((e: unknown) => {
      if (e instanceof DomainError) return null;
      throw e;
    });
    if (due) extra = { amountMinor: due.amount, currency: due.currency, orderId: due.orderId };
  } else if (event === 'stock.low' && payload.levelId != null) {
    const l = await db(em)
      .selectFrom('inventory_level')
      .select(['product_id', 'warehouse_id', 'on_hand', 'reserved', 'reorder_point', 'reorder_quantity'])
      .where('id', '=', Number(payload.levelId))
      .executeTakeFirst();
    if (l)
      extra = {
        productId: Number(l.product_id),
        warehouseId: Number(l.warehouse_id),
        onHand: Number(l.on_hand),
        reserved: Number(l.reserved),
        atp: Number(l.on_hand) - Number(l.reserved),
        reorderPoint: Number(l.reorder_point),
        reorderQuantity: Number(l.reorder_quantity),
      };
  }
  return { ...extra, ...payload };
}

interface OutboxRow {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

export type Outcome =
  | { kind: 'started' | 'duplicate'; workflowId: string }
  | { kind: 'signalled' | 'no_run'; workflowId: string; signal: string }
  | { kind: 'no_binding' | 'ignored' };

/**
 * Takes the named lease for `ms`, or renews it when `holder` has it; false while someone else holds it
 * and it has not expired. One statement, no lock kept.
 */
export async function takeLease(em: EntityManager, name: string, holder: string, ms: number): Promise<boolean> {
  const rows = await db(em)
    .insertInto('lease')
    .values({ name, holder, expires_at: sql<Date>`now() + ${ms} * interval '1 millisecond'` })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({ holder: eb.ref('excluded.holder'), expires_at: eb.ref('excluded.expires_at') }))
        .where((eb) => eb.or([eb('lease.holder', '=', eb.ref('excluded.holder')), eb('lease.expires_at', '<', sql<Date>`now()`)])),
    )
    .returning('name')
    .execute();
  return rows.length > 0;
}

export async function releaseLease(em: EntityManager, name: string, holder: string): Promise<void> {
  await db(em).deleteFrom('lease').where('name', '=', name).where('holder', '=', holder).execute();
}

/**
 * Handles one outbox row: reads what it needs, calls Temporal (outside any transaction, with a
 * deadline), then marks the row dispatched (and writes the run row) in one short transaction.
 * Temporal failures surface as TemporalUnavailable.
 */
async function handle(orm: MikroORM, row: OutboxRow, opts: DispatcherOptions): Promise<Outcome> {
  const em = orm.em.fork();
  const call = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    let client: Client;
    try {
      client = await opts.temporal();
    } catch (e) {
      throw new TemporalUnavailable(e);
    }
    return client.withDeadline(Date.now() + (opts.callTimeoutMs ?? CALL_TIMEOUT_MS), () => fn(client));
  };
  const done = async (outcome: Outcome) => {
    await markDispatched(em, [Number(row.id)]);
    return outcome;
  };
  if ((START_EVENTS as readonly string[]).includes(row.type)) {
    const payload = await enrichPayload(em, row.type, row.payload ?? {});
    const workflowId = workflowIdFor(row.type, payload, new Date(row.created_at));
    if (!workflowId) {
      opts.log?.warn(`outbox ${row.id} (${row.type}) has no id to name a run by; skipped`);
      return done({ kind: 'ignored' });
    }
    const match = await matchBinding(em, row.type, payload);
    if (!match) return done({ kind: 'no_binding' });
    const input: InterpreterInput = { plan: match.version.plan, trigger: { type: row.type, payload } };
    let kind: 'started' | 'duplicate' = 'started';
    try {
      await call((c) => c.workflow.start('interpreter', { taskQueue: opts.taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' }));
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) kind = 'duplicate';
      else throw e instanceof TemporalUnavailable ? e : new TemporalUnavailable(e);
    }
    await em.transactional(async (tx) => {
      await ensureRun(tx, workflowId, {
        triggerType: row.type,
        triggerPayload: payload,
        definitionId: match.binding.definitionId,
        versionId: match.version.id,
      });
      await markDispatched(tx, [Number(row.id)]);
    });
    return { kind, workflowId };
  }
  if (row.type === MACRO_APPROVAL_EVENT) {
    // A macro's refund over an agent's limits: the built-in approval flow, once per macro run.
    const payload = row.payload ?? {};
    const runId = typeof payload.macroRunId === 'number' ? payload.macroRunId : null;
    const compiled = runId === null ? null : compileGraph(macroApprovalGraph(approvalTitle(payload)));
    if (runId === null || !compiled?.ok) {
      opts.log?.warn(`outbox ${row.id} (${row.type}) cannot start an approval run; skipped`);
      return done({ kind: 'ignored' });
    }
    const workflowId = `macro-approval-${runId}`;
    const trigger = { type: 'manual', payload };
    let kind: 'started' | 'duplicate' = 'started';
    try {
      await call((c) =>
        c.workflow.start('interpreter', {
          taskQueue: opts.taskQueue,
          workflowId,
          args: [{ plan: compiled.plan, trigger } satisfies InterpreterInput],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      );
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) kind = 'duplicate';
      else throw e instanceof TemporalUnavailable ? e : new TemporalUnavailable(e);
    }
    await em.transactional(async (tx) => {
      await ensureRun(tx, workflowId, { triggerType: trigger.type, triggerPayload: payload, planHash: compiled.plan.hash });
      await markDispatched(tx, [Number(row.id)]);
    });
    return { kind, workflowId };
  }
  if (row.type === 'order.status_changed') {
    const signal = STATUS_SIGNALS[String(row.payload?.to ?? '')];
    if (!signal || row.payload?.orderId == null) return done({ kind: 'ignored' });
    const workflowId = `order-${row.payload.orderId}`;
    let delivered: boolean;
    try {
      delivered = await call((c) => signalRun(c, workflowId, signal, row.payload));
    } catch (e) {
      throw e instanceof TemporalUnavailable ? e : new TemporalUnavailable(e);
    }
    return done({ kind: delivered ? 'signalled' : 'no_run', workflowId, signal });
  }
  if (row.type === PO_GOODS_RECEIVED) {
    const workflowId = typeof row.payload?.workflowId === 'string' ? row.payload.workflowId : null;
    if (!workflowId) return done({ kind: 'ignored' });
    let delivered: boolean;
    try {
      delivered = await call((c) => signalRun(c, workflowId, 'goods_received', row.payload));
    } catch (e) {
      throw e instanceof TemporalUnavailable ? e : new TemporalUnavailable(e);
    }
    return done({ kind: delivered ? 'signalled' : 'no_run', workflowId, signal: 'goods_received' });
  }
  return done({ kind: 'ignored' });
}

export interface PassResult {
  claimed: number;
  outcomes: (Outcome & { outboxId: number })[];
  busy: boolean;
  blocked?: TemporalUnavailable;
  more: boolean;
}

const needsWork = (row: OutboxRow) =>
  (START_EVENTS as readonly string[]).includes(row.type) ||
  (row.type === 'order.status_changed' && !!STATUS_SIGNALS[String(row.payload?.to ?? '')]) ||
  row.type === PO_GOODS_RECEIVED ||
  row.type === MACRO_APPROVAL_EVENT;
const MAX_TRIES = 3;

/**
 * One pass over the undispatched rows, in id order, holding the `outbox` lease (`busy` when another
 * dispatcher has it): rows that need nothing are marked in bulk; each row that needs Temporal is
 * handled in turn and marked as soon as it is done. Stops at the first row Temporal could not take.
 * A row that fails for another reason is tried again on the next pass, and after MAX_TRIES it is
 * logged and marked dispatched so that it cannot block the queue (`failures` carries the counts across
 * passes).
 */
export async function dispatchPass(opts: DispatcherOptions, failures: Map<number, number> = new Map()): Promise<PassResult> {
  const result: PassResult = { claimed: 0, outcomes: [], busy: false, more: false };
  const em = opts.orm.em.fork();
  const holder = crypto.randomUUID();
  const lease = () => takeLease(em, 'outbox', holder, opts.leaseMs ?? LEASE_MS);
  if (!(await lease())) {
    result.busy = true;
    return result;
  }
  try {
    const rows: OutboxRow[] = await db(em)
      .selectFrom('outbox_event')
      .select(['id', 'type', 'payload', 'created_at'])
      .where('dispatched_at', 'is', null)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    result.claimed = rows.length;
    result.more = rows.length === BATCH;
    const idle = rows.filter((r) => !needsWork(r)).map((r) => Number(r.id));
    if (idle.length) await markDispatched(em, idle);
    for (const row of rows.filter(needsWork)) {
      const id = Number(row.id);
      // Renewed before each row; lost only after a stall longer than the lease: then stop, the new holder goes on.
      if (!(await lease())) {
        result.more = false;
        break;
      }
      try {
        result.outcomes.push({ ...(await handle(opts.orm, row, opts)), outboxId: id });
        failures.delete(id);
      } catch (e) {
        if (e instanceof TemporalUnavailable) {
          result.blocked = e;
          result.more = false;
          break;
        }
        const n = (failures.get(id) ?? 0) + 1;
        failures.set(id, n);
        opts.log?.error(`outbox ${id} (${row.type}) failed to dispatch (try ${n} of ${MAX_TRIES}): ${(e as Error).message}`);
        if (n < MAX_TRIES) {
          result.more = false;
          break;
        }
        opts.log?.error(`outbox ${id} given up after ${MAX_TRIES} tries`);
        failures.delete(id);
        await markDispatched(em, [id]);
      }
    }
  } finally {
    await releaseLease(em, 'outbox', holder).catch(() => {});
  }
  return result;
}

export interface Dispatcher {
  /** Runs a pass soon (as a NOTIFY would). */
  wake(): void;
  stop(): Promise<void>;
}

/** Starts the dispatch loop: LISTEN outbox + a 2 s poll, back-off while Temporal is unreachable (logged once a minute). */
export function startDispatcher(opts: DispatcherOptions & { databaseUrl: string; pollMs?: number; maxBackoffMs?: number }): Dispatcher {
  const log = opts.log ?? console;
  const pollMs = opts.pollMs ?? 2_000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const failures = new Map<number, number>();
  let closing = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let blockedSince = 0;
  let retries = 0;
  let notBefore = 0;
  let lastLog = 0;
  let listener: pg.Client | null = null;

  const schedule = (ms: number) => {
    if (closing) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      kick();
    }, ms);
  };

  const loop = async () => {
    do {
      again = false;
      if (Date.now() < notBefore) break;
      let r: PassResult;
      try {
        r = await dispatchPass(opts, failures);
      } catch (e) {
        // The database itself failed (or went away): same back-off as an unreachable Temporal.
        r = { claimed: 0, outcomes: [], busy: false, more: false, blocked: new TemporalUnavailable(e) };
        if (Date.now() - lastLog > 60_000) {
          lastLog = Date.now();
          log.warn(`dispatch pass failed (${(e as Error).message}); retrying`);
        }
      }
      if (r.blocked) {
        retries++;
        if (!blockedSince) blockedSince = Date.now();
        const delay = Math.min(maxBackoff, 500 * 2 ** Math.min(retries - 1, 10));
        notBefore = Date.now() + delay;
        if (Date.now() - lastLog > 60_000) {
          lastLog = Date.now();
          log.warn(`Temporal not reachable (${r.blocked.message}); events wait in the outbox, retrying (next in ${Math.round(delay / 1000)} s)`);
        }
        schedule(delay);
        return;
      }
      if (blockedSince) {
        log.info(`Temporal reachable again after ${Math.round((Date.now() - blockedSince) / 1000)} s; dispatching`);
        blockedSince = 0;
        lastLog = 0;
      }
      retries = 0;
      if (r.more) again = true;
    } while (again && !closing);
  };

  function kick() {
    if (closing) return;
    if (running) {
      again = true;
      return;
    }
    running = loop()
      .catch((e) => log.error('dispatcher loop failed', e))
      .finally(() => {
        running = null;
        if (again && !closing && Date.now() >= notBefore) kick();
      });
  }

  const poll = setInterval(() => kick(), pollMs);

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    client.on('notification', () => kick());
    client.on('error', (e) => {
      if (closing) return;
      log.warn(`lost the LISTEN connection (${e.message}); reconnecting`);
      void client.end().catch(() => {});
      setTimeout(() => void listen().catch(() => {}), 1000);
    });
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      if (closing) {
        await client.end();
        return;
      }
      listener = client;
      kick();
    } catch (e) {
      void client.end().catch(() => {});
      if (!closing) setTimeout(() => void listen().catch(() => {}), 1000);
      throw e;
    }
  };
  void listen().catch((e) => log.warn(`LISTEN outbox failed (${(e as Error).message}); polling meanwhile`));
  kick();

  return {
    wake: () => kick(),
    async stop() {
      closing = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      await listener?.end().catch(() => {});
      await running;
    },
  };
}
