// The live dashboard's figures, pushed over socket.io. A dashboard page watches (`dashboard:watch`) and is
// answered with the figures now; from then on each web process recomputes the figures once when events say
// they may have moved, for all its watchers together, and sends each role's room what that role may see
// (`dashboard:update`). Pages repaint from the message itself, so a busy shop costs one computation a beat
// per web process however many people watch, instead of one page reload per viewer.
//
// Coalescing: the first event after a quiet spell is answered after SETTLE_MS (what commits with the same
// change — the analytics refresher's event after an order's — comes in the same computation); later ones at
// most every GATHER_MS, the last of a burst always included. A page that reconnects watches again and is
// answered with the figures of that moment (the catch-up).
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { ROLES, type Role } from '../../../entities/constants.ts';
import type { CurrentUser } from '../../lib/auth.server.ts';
import type { LiveEvent } from '../../lib/live.ts';
import { can } from '../../lib/permissions.ts';
import { onEvent } from '../../lib/socket-events.server.ts';
import { dashboard, figuresFor, type Dashboard } from './dashboard.server.ts';

/** Topics whose events may move a figure (an alert only rings the bell). */
export const DASHBOARD_TOPICS = ['dashboards', 'orders', 'inventory'] as const;
export const movesDashboard = (e: Pick<LiveEvent, 'topic' | 'type'>) => (DASHBOARD_TOPICS as readonly string[]).includes(e.topic) && e.type !== 'alert.raised';

const SETTLE_MS = 150;
const GATHER_MS = 800;

const room = (role: Role) => `dashboard:${role}`;
/** `dashboard:watch` and `dashboard:unwatch` take nothing. */
const Nothing = z.strictObject({}).optional();

export interface DashboardFeedOptions {
  timeZone: string;
  settleMs?: number;
  gatherMs?: number;
}

export function attachDashboardFeed(io: Server, orm: MikroORM, opts: DashboardFeedOptions) {
  const settleMs = opts.settleMs ?? SETTLE_MS;
  const gatherMs = opts.gatherMs ?? GATHER_MS;
  /** The last figures computed, and whether an event has come since. */
  let latest: Dashboard | null = null;
  let stale = true;
  let computing: Promise<Dashboard> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastPush = 0;
  let closed = false;

  const watched = (role: Role) => (io.sockets.adapter.rooms.get(room(role))?.size ?? 0) > 0;
  const anyWatcher = () => ROLES.some(watched);

  /** The figures as of now: computed once for everyone asking meanwhile. */
  const compute = (): Promise<Dashboard> => {
    computing ??= (async () => {
      stale = false;
      try {
        latest = await dashboard(orm.em.fork(), opts.timeZone);
        return latest;
      } catch (e) {
        stale = true;
        throw e;
      }
    })().finally(() => {
      computing = null;
    });
    return computing;
  };

  const push = async () => {
    timer = null;
    if (closed || !stale || !anyWatcher()) return;
    lastPush = Date.now();
    try {
      const d = await compute();
      for (const role of ROLES) if (watched(role)) io.to(room(role)).emit('dashboard:update', figuresFor(role, d));
    } catch (e) {
      console.error('[dashboard] could not compute the live figures:', (e as Error).message);
    }
    // Events that came while computing: another push, spaced as the others.
    if (stale) schedule();
  };

  /** A push after the settle time, and no sooner than `gatherMs` after the last one. */
  const schedule = () => {
    if (timer || closed || !anyWatcher()) return;
    timer = setTimeout(() => void push(), Math.max(settleMs, lastPush + gatherMs - Date.now()));
  };

  io.on('connection', (socket: Socket) => {
    const user = socket.data.user as CurrentUser;
    onEvent(socket, 'dashboard:watch', Nothing, async () => {
      if (!can(user.role, 'dashboards.view')) return { error: 'forbidden' };
      await socket.join(room(user.role));
      // The figures now: the last computed while nothing has moved since, else fresh ones.
      const d = !stale && latest ? latest : await compute();
      return { current: figuresFor(user.role, d) };
    });
    onEvent(socket, 'dashboard:unwatch', Nothing, async () => {
      await socket.leave(room(user.role));
      return { ok: true };
    });
  });

  return {
    /** Called with every event the web process relays. */
    onEvent(e: Pick<LiveEvent, 'topic' | 'type'>) {
      if (!movesDashboard(e)) return;
      stale = true;
      schedule();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
