// What-if simulation: walks a flow's graph for one trigger payload without running or writing
// anything. Conditions and switches are evaluated with JSONata over the payload (as the interpreter
// does), stock steps are decided by routing over the stock passed in, human tasks and signals take
// the outcome the caller assumes, every other activity takes its "ok" exit. Pure, so it is exact to
// test and runs anywhere.
import { evaluateBounded } from '../../lib/expressions.ts';
import { nodeType } from '../../../plugins/index.ts';
import type { Graph, PlanNode } from '../../../workflows/graph.ts';
import { Walk } from '../../../workflows/walk.ts';
import { planNodes } from './plan.ts';
import { planRouting, type DemandLine, type GeoPoint, type StockOption } from '../inventory/routing.ts';

export interface SimulationOptions {
  /** The trigger event (defaults to the trigger node's configured event). */
  event?: string;
  /** Current stock for the products involved (see loadStockOptions). */
  stock?: StockOption[];
  /** What to route; defaults to `payload.lines` ({ sku, quantity }), matched to products by SKU in `stock`. */
  demand?: DemandLine[];
  /** Where the order ships; defaults to `payload.shippingAddress.{lat,lng}`. */
  destination?: GeoPoint | null;
  /** Human tasks are approved unless this is false. */
  approve?: boolean;
  /** Signals are received unless this is false (then they time out). */
  signalsReceived?: boolean;
  maxSteps?: number;
  /** What a node's visit takes, when the caller knows (a recorded run): its handles and output; else the rules above. */
  decide?: (node: PlanNode, visit: number) => { handles: string[]; output?: Record<string, unknown> } | undefined;
}

export interface SimulatedStep {
  nodeId: string;
  type: string;
  handles: string[];
}

export interface SimulatedRouting {
  nodeId: string;
  ok: boolean;
  /** True when there was nothing to route (no lines known), so "ok" was assumed. */
  assumed: boolean;
  policy: 'nearest_full' | 'fewest_warehouses' | null;
  warehouses: string[];
  shipments: number;
  allocations: { sku: string; warehouse: string; quantity: number }[];
  shortages: { sku: string; requested: number; available: number }[];
}

export interface SimulatedApproval {
  nodeId: string;
  title: string;
  roles: string[];
  decision: 'approved' | 'rejected';
}

export interface Simulation {
  /** Node ids in the order they would run (a node visited twice appears twice). */
  path: string[];
  steps: SimulatedStep[];
  routing: SimulatedRouting[];
  approvals: SimulatedApproval[];
  signals: { nodeId: string; signal: string; received: boolean }[];
  /** Expressions that failed to evaluate (they count as false / no match). */
  problems: { nodeId: string; message: string }[];
  end: { nodeId: string; result: string; message: string | null } | null;
  stopped: 'end' | 'max_steps' | 'dead_end' | 'no_trigger';
}

const MAX_SIMULATION_STEPS = 200;

const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null;

/** Demand from `payload.lines`, products found by SKU in the stock options. */
function demandFrom(payload: Record<string, unknown>, stock: StockOption[]): DemandLine[] {
  const lines = Array.isArray(payload.lines) ? payload.lines : [];
  const productBySku = new Map(stock.map((s) => [s.sku, s.productId]));
  const out: DemandLine[] = [];
  lines.forEach((l: unknown, i) => {
    if (!l || typeof l !== 'object') return;
    const line = l as Record<string, unknown>;
    const sku = typeof line.sku === 'string' ? line.sku : null;
    const quantity = num(line.quantity) ?? 1;
    if (!sku || quantity <= 0) return;
    // A SKU nobody stocks still counts (as a shortage): give it a product id no stock has.
    out.push({ productId: productBySku.get(sku) ?? num(line.productId) ?? -(i + 1), sku, quantity });
  });
  return out;
}

function destinationFrom(payload: Record<string, unknown>): GeoPoint | null {
  const a = payload.shippingAddress;
  if (!a || typeof a !== 'object') return null;
  const lat = num((a as Record<string, unknown>).lat),
    lng = num((a as Record<string, unknown>).lng);
  return lat === null || lng === null ? null : { lat, lng };
}

/** Stops the walk (too many steps, or an end that fails or compensates the run). */
class Stop extends Error {}

/**
 * Walks the graph as the interpreter would, with the interpreter's own walker (workflows/walk.ts):
 * the same joins, dead paths and loop exits. Parallel branches are walked together, as they run; an
 * end that completes ends its branch only (others go on, as in a run), one that fails or compensates
 * stops the walk.
 */
export async function simulate(graph: Graph, payload: Record<string, unknown>, options: SimulationOptions = {}): Promise<Simulation> {
  const maxSteps = options.maxSteps ?? MAX_SIMULATION_STEPS;
  const result: Simulation = { path: [], steps: [], routing: [], approvals: [], signals: [], problems: [], end: null, stopped: 'dead_end' };
  const trigger = graph.nodes.find((n) => n.type === 'control.trigger' && nodeType(n.type));
  if (!trigger) {
    result.stopped = 'no_trigger';
    return result;
  }
  const plan = { trigger: trigger.id, nodes: planNodes(graph) };
  const event = options.event ?? String(trigger.data?.config?.event ?? 'manual');
  const context: Record<string, Record<string, unknown> | undefined> = {};
  const data = { ...payload, trigger: { type: event, payload }, nodes: context };

  const handlesOf = (n: PlanNode): string[] => Object.keys(n.next);
  const evaluate = async (nodeId: string, expression: string): Promise<unknown> => {
    try {
      return await evaluateBounded(expression, data);
    } catch (e) {
      result.problems.push({ nodeId, message: (e as Error).message });
      return undefined;
    }
  };

  const stock = options.stock ?? [];
  const demand = options.demand ?? demandFrom(payload, stock);
  const destination = options.destination !== undefined ? options.destination : destinationFrom(payload);
  const route = (nodeId: string): SimulatedRouting => {
    if (!demand.length) return { nodeId, ok: true, assumed: true, policy: null, warehouses: [], shipments: 0, allocations: [], shortages: [] };
    const r = planRouting(destination, demand, stock);
    if (!r.ok) return { nodeId, ok: false, assumed: false, policy: null, warehouses: [], shipments: 0, allocations: [], shortages: r.shortages };
    const warehouses = [...new Set(r.plan.allocations.map((a) => a.warehouseCode))];
    return {
      nodeId,
      ok: true,
      assumed: false,
      policy: r.plan.policy,
      warehouses,
      shipments: r.plan.shipments,
      allocations: r.plan.allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity })),
      shortages: [],
    };
  };

  /** The handles a node takes. */
  const step = async (n: PlanNode, visit: number): Promise<string[]> => {
    const config = n.config;
    const decided = options.decide?.(n, visit);
    if (decided) {
      if (decided.output) context[n.id] = decided.output;
      return decided.handles;
    }
    if (n.kind === 'activity') {
      if (n.type === 'orders.reserve' || n.type === 'orders.route') {
        const r = route(n.id);
        result.routing.push(r);
        if (!r.ok) return [handlesOf(n).includes('insufficient') ? 'insufficient' : 'error'];
      }
      const handles = handlesOf(n);
      return [handles.includes('ok') ? 'ok' : (handles[0] ?? 'ok')];
    }
    switch (n.primitive) {
      case 'trigger':
        return ['out'];
      case 'condition': {
        const v = await evaluate(n.id, String(config.expression ?? ''));
        return [(Array.isArray(v) ? v.length > 0 : !!v) ? 'true' : 'false'];
      }
      case 'switch': {
        const v = await evaluate(n.id, String(config.expression ?? ''));
        const cases = Array.isArray(config.cases) ? (config.cases as { value: string; handle: string }[]) : [];
        return [cases.find((c) => v !== undefined && String(v) === c.value)?.handle ?? 'default'];
      }
      case 'split':
        return handlesOf(n);
      case 'signal': {
        const received = options.signalsReceived !== false;
        result.signals.push({ nodeId: n.id, signal: String(config.signal ?? ''), received });
        return [received ? 'received' : 'timeout'];
      }
      case 'human': {
        const decision = options.approve === false ? 'rejected' : 'approved';
        result.approvals.push({
          nodeId: n.id,
          title: String(config.title ?? n.label ?? n.id),
          roles: Array.isArray(config.roles) ? config.roles.map(String) : [],
          decision,
        });
        return [decision];
      }
      case 'subflow':
        return ['ok'];
      case 'end':
        return [];
      default:
        return ['out'];
    }
  };

  const visits = new Map<string, number>();
  const walk: Walk = new Walk(plan, true, {
    async run(id) {
      if (result.path.length >= maxSteps) {
        result.stopped = 'max_steps';
        throw new Stop();
      }
      const n = plan.nodes[id];
      const visit = (visits.get(id) ?? 0) + 1;
      visits.set(id, visit);
      const handles = await step(n, visit);
      result.path.push(id);
      result.steps.push({ nodeId: id, type: n.type, handles });
      if (n.primitive === 'end') {
        const outcome = String(n.config.result ?? 'complete');
        result.end = { nodeId: id, result: outcome, message: typeof n.config.message === 'string' ? n.config.message : null };
        result.stopped = 'end';
        if (outcome !== 'complete') throw new Stop();
      }
      await walk.leave(id, handles);
    },
    skipped() {},
  });
  try {
    await walk.arrive(trigger.id, true);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return result;
}
