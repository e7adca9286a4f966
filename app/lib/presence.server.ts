// Live presence in the designer: who has a flow's draft open, across every web process.
//
// Each open designer is a row in designer_presence (socket, definition, user), written by the web
// process that holds the socket. A change NOTIFYs `designer_presence` with the definition id; every
// web process listens, re-reads that definition's rows and sends the list to its sockets in the
// definition's room. Each process refreshes its rows on a heartbeat and sweeps rows nobody refreshed
// for `ttlMs` (a process that died without saying goodbye), so a crash costs at most `ttlMs`.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Server, Socket } from 'socket.io';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { CurrentUser } from './auth.server.ts';
import { can } from './permissions.ts';
import { onEvent } from './socket-events.server.ts';
import { db } from './db.server.ts';
import { Id } from './ids.ts';
import type { DesignerEditor } from './presence.ts';

export const PRESENCE_CHANNEL = 'designer_presence';

export interface PresenceOptions {
  /** How often this process refreshes its rows and sweeps stale ones. */
  heartbeatMs?: number;
  /** A row not refreshed for this long belongs to a process that is gone. */
  ttlMs?: number;
}

const room = (definitionId: number) => `designer:${definitionId}`;
/** `designer:join` / `designer:leave`: the flow being designed. */
const DefinitionRef = z.strictObject({ definitionId: Id });
const toId = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 2_147_483_647 ? v : null);

export function attachPresence(io: Server, orm: MikroORM, opts: PresenceOptions = {}) {
  const node = crypto.randomUUID();
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const ttlSeconds = Math.max(1, (opts.ttlMs ?? 30_000) / 1000);
  const q = () => db(orm.em.fork());
  const notify = (ids: Iterable<number>) =>
    Promise.all([...new Set(ids)].map((id) => orm.em.fork().execute(`select pg_notify('${PRESENCE_CHANNEL}', ?)`, [String(id)])));
  /** Rows last seen before the time-to-live. */
  const expired = () => sql<Date>`now() - ${ttlSeconds} * interval '1 second'`;

  /** Who is in the definition's designer now: one entry per user, earliest arrival first. */
  const editorsOf = async (definitionId: number): Promise<DesignerEditor[]> => {
    const rows = await q()
      .selectFrom('designer_presence')
      .select((eb) => [
        'user_id',
        eb.fn.min('user_name').as('name'),
        eb.fn.agg<boolean>('bool_or', ['editing']).as('editing'),
        eb.fn.min('joined_at').as('since'),
      ])
      .where('definition_id', '=', definitionId)
      .where('seen_at', '>', expired())
      .groupBy('user_id')
      .orderBy((eb) => eb.fn.min('joined_at'))
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({ userId: Number(r.user_id), name: r.name, editing: r.editing, since: new Date(r.since).toISOString() }));
  };

  let closed = false;

  // Several notifications for one definition in a burst make one read.
  const pending = new Set<number>();
  const broadcast = (definitionId: number) => {
    if (pending.has(definitionId)) return;
    pending.add(definitionId);
    setImmediate(() => {
      pending.delete(definitionId);
      if (closed || !io.sockets.adapter.rooms.get(room(definitionId))?.size) return;
      editorsOf(definitionId)
        .then((editors) => io.to(room(definitionId)).emit('designer:presence', { definitionId, editors }))
        .catch((e: Error) => console.error('[presence] broadcast failed:', e.message));
    });
  };

  const leave = async (socket: Socket, definitionId?: number) => {
    if (closed) return; // close() removed every row of this process
    const rows = await q()
      .deleteFrom('designer_presence')
      .where('socket_id', '=', socket.id)
      .$if(definitionId !== undefined, (d) => d.where('definition_id', '=', definitionId!))
      .returning('definition_id')
      .execute();
    await notify(rows.map((r) => Number(r.definition_id)));
  };

  const onConnection = (socket: Socket) => {
    const user = socket.data.user as CurrentUser;
    onEvent(socket, 'designer:join', DefinitionRef, async ({ definitionId }) => {
      if (!can(user.role, 'workflows.view')) return { error: 'forbidden' };
      const row = await q()
        .insertInto('designer_presence')
        .columns(['definition_id', 'socket_id', 'user_id', 'user_name', 'editing', 'node', 'joined_at', 'seen_at'])
        .expression((eb) =>
          eb
            .selectFrom('workflow_definition as d')
            .select([
              'd.id',
              eb.val(socket.id).as('socket_id'),
              eb.val(user.id).as('user_id'),
              eb.val(user.name).as('user_name'),
              eb.val(can(user.role, 'workflows.edit')).as('editing'),
              eb.val(node).as('node'),
              sql<Date>`now()`.as('joined_at'),
              sql<Date>`now()`.as('seen_at'),
            ])
            .where('d.id', '=', definitionId),
        )
        .onConflict((oc) => oc.columns(['socket_id', 'definition_id']).doUpdateSet({ seen_at: sql`now()` }))
        .returning('id')
        .executeTakeFirst();
      if (!row) return { error: 'not_found' };
      if (!socket.connected) {
        await leave(socket, definitionId);
        return undefined;
      } // left while we wrote
      await socket.join(room(definitionId));
      await notify([definitionId]);
      return { editors: await editorsOf(definitionId) };
    });
    onEvent(socket, 'designer:leave', DefinitionRef, async ({ definitionId }) => {
      await socket.leave(room(definitionId));
      await leave(socket, definitionId);
    });
    socket.on('disconnect', () => {
      void leave(socket).catch((e: Error) => console.error('[presence] leave failed:', e.message));
    });
  };
  io.on('connection', onConnection);

  // Heartbeat: keep our rows fresh, and sweep the rows of processes that stopped refreshing theirs.
  const beat = async () => {
    await q()
      .updateTable('designer_presence')
      .set({ seen_at: sql`now()` })
      .where('node', '=', node)
      .execute();
    const gone = await q().deleteFrom('designer_presence').where('seen_at', '<', expired()).returning('definition_id').execute();
    await notify(gone.map((r) => Number(r.definition_id)));
  };
  const timer = setInterval(() => void beat().catch((e: Error) => console.error('[presence] heartbeat failed:', e.message)), heartbeatMs);
  timer.unref();

  return {
    node,
    /** A NOTIFY on PRESENCE_CHANNEL arrived (from any process). */
    onNotify(payload: string | undefined) {
      const id = toId(Number(payload));
      if (id !== null) broadcast(id);
    },
    /** After the LISTEN connection was lost: notifications may have been missed, so send every room anew. */
    refreshAll() {
      for (const name of io.sockets.adapter.rooms.keys()) {
        const m = /^designer:(\d+)$/.exec(name);
        if (m) broadcast(Number(m[1]));
      }
    },
    /** This process's designers are gone: say so before the connections close. */
    async close() {
      closed = true;
      clearInterval(timer);
      const rows = await q()
        .deleteFrom('designer_presence')
        .where('node', '=', node)
        .returning('definition_id')
        .execute()
        .catch(() => []);
      await notify(rows.map((r) => Number(r.definition_id))).catch(() => {});
    },
  };
}
