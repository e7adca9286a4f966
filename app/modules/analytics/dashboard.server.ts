// The live dashboard's tiles: today's sales against the same time yesterday and a week ago (rollups),
// orders per minute by channel over the last hour (sales_minute), and the state of the business now
// (indexed counts over the base tables). Each tile names the list behind it, which opens filtered.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { z } from 'zod';
import { db, jsonb } from '../../lib/db.server.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { fieldError, invalid } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/problem.ts';
import type { Role } from '../../../entities/constants.ts';
import { can } from '../../lib/permissions.ts';
import { AT_RISK_SQL } from '../service/queries.server.ts';
import { salesBetween, today, type SalesFigures } from './reports.server.ts';
import { defaultSize, smallestSize, TILE_SIZES, TILES, type Tile, type TileSize } from './tiles.ts';

export { TILE_SIZES, TILES, type Tile, type TileSize };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Order statuses between payment and the parcel leaving. */
const AWAITING_SHIPMENT = ['paid', 'allocated', 'picking', 'packed'] as const;
/** Statuses in which an order has not shipped yet (and may be late against its promised date). */
export const NOT_SHIPPED = ['received', 'validated', 'on_hold', 'awaiting_payment', ...AWAITING_SHIPMENT] as const;

export interface Dashboard {
  asOf: string;
  today: SalesFigures;
  yesterday: SalesFigures;
  lastWeek: SalesFigures;
  perMinute: { minute: string; channel: string; orders: number }[];
  channels: string[];
  counts: {
    awaitingShipment: number;
    late: number;
    onHold: number;
    paymentFailures: number;
    lowStock: number;
    /** Active products with nothing available in any active warehouse. */
    stockouts: number;
    runsFailed: number;
    tasksOpen: number;
    /** Tickets new, open, pending or on hold. */
    ticketsOpen: number;
    /** Open tickets whose earliest running SLA target is due within its policy's warning time, or overdue (the queue's "SLA at risk"). */
    slaAtRisk: number;
  };
}

/** The tiles each role sees (executives and ops managers everything, warehouse the fulfilment ones). */
const FULFILMENT_TILES = ['awaitingShipment', 'late', 'onHold', 'lowStock', 'stockouts'] as const satisfies readonly Tile[];
const SERVICE_TILES = ['ticketsOpen', 'slaAtRisk', 'late', 'onHold', 'paymentFailures', 'tasksOpen'] as const satisfies readonly Tile[];
export const TILES_BY_ROLE: Record<Role, readonly Tile[]> = {
  admin: TILES,
  ops_manager: TILES,
  executive: TILES,
  warehouse: FULFILMENT_TILES,
  agent: SERVICE_TILES,
};

/** The tiles drawn from today's sales (the rest count the state of the business now). */
const SALES_TILES: readonly Tile[] = ['revenue', 'orders', 'aov', 'perMinute'];

/** The dashboard as one role may see it: sales only with a sales tile, and the counts of its own tiles. */
export interface DashboardFigures extends Omit<Dashboard, 'today' | 'yesterday' | 'lastWeek' | 'counts'> {
  today?: SalesFigures;
  yesterday?: SalesFigures;
  lastWeek?: SalesFigures;
  counts: Partial<Dashboard['counts']>;
}

/** What of the figures `role` may see: a warehouse or an agent's page is not sent the day's revenue. */
export function figuresFor(role: Role, d: Dashboard): DashboardFigures {
  const tiles = TILES_BY_ROLE[role];
  const counts = Object.fromEntries(Object.entries(d.counts).filter(([k]) => (tiles as readonly string[]).includes(k)));
  if (tiles.some((t) => SALES_TILES.includes(t))) return { ...d, counts };
  return { asOf: d.asOf, perMinute: [], channels: [], counts };
}

export async function dashboard(em: EntityManager, timeZone: string): Promise<Dashboard> {
  const { midnight, now } = await today(em, timeZone);
  const back = (d: Date, ms: number) => new Date(d.getTime() - ms);
  const hourAgo = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 59 * 60_000);
  const [t, y, w, perMinute, [c]] = await Promise.all([
    salesBetween(em, midnight, now),
    salesBetween(em, back(midnight, DAY), back(now, DAY)),
    salesBetween(em, back(midnight, 7 * DAY), back(now, 7 * DAY)),
    em.execute<{ minute: Date; channel: string; orders: string }[]>(
      `select m.minute, c.code as channel, sum(m.orders) as orders from sales_minute m join channel c on c.id = m.channel_id
        where m.minute >= ? group by 1, 2 order by 1, 2`,
      [hourAgo],
    ),
    em.execute<Record<keyof Dashboard['counts'], string>[]>(
      `select
         (select count(*) from sales_order where status in (?)) as "awaitingShipment",
         (select count(*) from sales_order where status in (?) and promised_by < now()) as "late",
         (select count(*) from sales_order where status = 'on_hold') as "onHold",
         (select count(distinct p.order_id) from payment_operation op join payment p on p.id = op.payment_id
           where not op.succeeded and op.created_at >= ?) as "paymentFailures",
         (select count(*) from inventory_level l join product p on p.id = l.product_id where p.active and l.low_stock_since is not null) as "lowStock",
         (select count(*) from product p where p.active and coalesce((select sum(l.on_hand - l.reserved) from inventory_level l join warehouse w on w.id = l.warehouse_id
                                                                     where l.product_id = p.id and w.active), 0) <= 0) as "stockouts",
         (select count(*) from workflow_run where status = 'failed' and coalesce(ended_at, updated_at) >= now() - interval '24 hours') as "runsFailed",
         (select count(*) from human_task where status = 'open') as "tasksOpen",
         (select count(*) from ticket where status in ('new', 'open', 'pending', 'on_hold')) as "ticketsOpen",
         (select count(*) from ticket t where ${AT_RISK_SQL}) as "slaAtRisk"`,
      [AWAITING_SHIPMENT, NOT_SHIPPED, midnight],
    ),
  ]);
  const counts = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Number(v)])) as Dashboard['counts'];
  return {
    asOf: now.toISOString(),
    today: t,
    yesterday: y,
    lastWeek: w,
    perMinute: perMinute.map((r) => ({ minute: new Date(r.minute).toISOString(), channel: r.channel, orders: Number(r.orders) })),
    channels: [...new Set(perMinute.map((r) => r.channel))].sort(),
    counts,
  };
}

/**
 * The list behind each tile: today's orders, late ones, the stock that is low, … The ticket tiles open the
 * queue filtered the same way, or (for a role that may not open the queue) the service report.
 */
export function tileLinks(midnightDay: string, role?: Role): Record<Tile, string> {
  const queue = !role || can(role, 'service.view');
  return {
    revenue: `/analytics?from=${midnightDay}&to=${midnightDay}&granularity=hour`,
    orders: `/orders?from=${midnightDay}&to=${midnightDay}`,
    aov: `/analytics?from=${midnightDay}&to=${midnightDay}&granularity=hour`,
    perMinute: `/orders?from=${midnightDay}&to=${midnightDay}`,
    awaitingShipment: `/orders?${AWAITING_SHIPMENT.map((s) => `status=${s}`).join('&')}`,
    late: '/orders?late=1',
    onHold: '/orders?status=on_hold',
    paymentFailures: `/orders?paymentFailed=${midnightDay}`,
    lowStock: '/inventory?low=1',
    stockouts: '/inventory?low=1',
    runsFailed: '/workflows?status=failed',
    tasksOpen: '/workflows/tasks',
    ticketsOpen: queue ? '/service?view=all&state=open' : `/analytics/service?from=${midnightDay}&to=${midnightDay}`,
    slaAtRisk: queue ? '/service?view=all&sla=at_risk&sort=due' : `/analytics/service?from=${midnightDay}&to=${midnightDay}`,
  };
}

// ---- Each user's own arrangement ----

export interface Layout {
  /** The tiles shown, in their order. */
  tiles: Tile[];
  /** The size of every tile the role has (shown or not). */
  sizes: Record<Tile, TileSize>;
}

function layoutOf(role: Role, row: { tiles: string[]; sizes: Record<string, string> } | undefined): Layout {
  const allowed = TILES_BY_ROLE[role];
  const tiles = row ? row.tiles.filter((t): t is Tile => (allowed as readonly string[]).includes(t)) : [...allowed];
  const sizes = Object.fromEntries(
    allowed.map((t) => {
      const saved = row?.sizes?.[t];
      return [t, (TILE_SIZES as readonly string[]).includes(saved ?? '') ? (saved as TileSize) : defaultSize(t)];
    }),
  ) as Record<Tile, TileSize>;
  return { tiles, sizes };
}

/** The tiles a user sees, in their order and sizes: their saved choice (tiles their role no longer has dropped), else the role's. */
export async function dashboardLayout(em: EntityManager, user: { id: number; role: Role }): Promise<Layout> {
  const row = await db(em).selectFrom('dashboard_layout').select(['tiles', 'sizes']).where('user_id', '=', user.id).executeTakeFirst();
  return layoutOf(user.role, row);
}

/** A change to the arrangement: show, hide, move up or down, resize a tile, or go back to the role's default. */
export const LayoutChange = z.discriminatedUnion('change', [
  z.object({ change: z.literal('show'), tile: z.enum(TILES) }),
  z.object({ change: z.literal('hide'), tile: z.enum(TILES) }),
  z.object({ change: z.literal('up'), tile: z.enum(TILES) }),
  z.object({ change: z.literal('down'), tile: z.enum(TILES) }),
  z.object({ change: z.literal('resize'), tile: z.enum(TILES), size: z.enum(TILE_SIZES) }),
  z.object({ change: z.literal('reset') }),
]);

/**
 * Applies a change to the user's arrangement and saves it, audited. A tile outside the role's is refused
 * (422, field `tile`), a size below the tile's smallest too (422, field `size`).
 */
export async function changeDashboardLayout(orm: MikroORM, user: { id: number; role: Role }, raw: unknown, actor: Actor): Promise<Layout> {
  const parsed = LayoutChange.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const c = parsed.data;
  const allowed = TILES_BY_ROLE[user.role];
  if (c.change !== 'reset' && !allowed.includes(c.tile)) throw invalid([fieldError('tile', 'not_allowed', { tile: c.tile })]);
  if (c.change === 'resize' && TILE_SIZES.indexOf(c.size) < TILE_SIZES.indexOf(smallestSize(c.tile)))
    throw invalid([fieldError('size', 'too_small', { tile: c.tile, size: c.size })]);
  return orm.em.fork().transactional(async (em) => {
    const before = await dashboardLayout(em, user);
    let after: Layout;
    if (c.change === 'reset') {
      await db(em).deleteFrom('dashboard_layout').where('user_id', '=', user.id).execute();
      after = layoutOf(user.role, undefined);
    } else {
      let tiles = [...before.tiles];
      const sizes = { ...before.sizes };
      if (c.change === 'show' && !tiles.includes(c.tile)) tiles.push(c.tile);
      else if (c.change === 'hide') tiles = tiles.filter((t) => t !== c.tile);
      else if (c.change === 'resize') sizes[c.tile] = c.size;
      else if (c.change === 'up' || c.change === 'down') {
        const i = tiles.indexOf(c.tile);
        const j = c.change === 'up' ? i - 1 : i + 1;
        if (i >= 0 && j >= 0 && j < tiles.length) [tiles[i], tiles[j]] = [tiles[j], tiles[i]];
      }
      // Only sizes that differ from the default are kept, so a later default applies to the rest.
      const chosen = jsonb(Object.fromEntries(Object.entries(sizes).filter(([t, size]) => size !== defaultSize(t as Tile))));
      await db(em)
        .insertInto('dashboard_layout')
        .values({ user_id: user.id, tiles: jsonb(tiles), sizes: chosen, updated_at: sql<Date>`now()` })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ tiles: jsonb(tiles), sizes: chosen, updated_at: sql<Date>`now()` }))
        .execute();
      after = { tiles, sizes };
    }
    audit(em, actor, {
      action: 'user.dashboard_arranged',
      entityType: 'User',
      entityId: user.id,
      before: { tiles: before.tiles, sizes: before.sizes },
      after: { tiles: after.tiles, sizes: after.sizes, change: c.change },
    });
    return after;
  });
}
