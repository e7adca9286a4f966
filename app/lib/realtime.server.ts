import type http from 'node:http';
import pg from 'pg';
import { z } from 'zod';
import { Server, type Socket } from 'socket.io';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { OutboxEvent } from '../../entities/index.ts';
import { getUserFromCookieHeader, type CurrentUser } from './auth.server.ts';
import { can, isTopic, TOPICS, type Topic } from './permissions.ts';
import { db } from './db.server.ts';
import { attachPresence, PRESENCE_CHANNEL, type PresenceOptions } from './presence.server.ts';
import type { LiveEvent } from './live.ts';
import { onEvent } from './socket-events.server.ts';
import { sameOrigin } from './redirects.ts';

export type { LiveEvent };

/** Longest gap a reconnecting browser can catch up on; beyond it the page reloads its data. */
const CATCH_UP_LIMIT = 500;

/** `subscribe`: topics to join (the role decides which), and the last event id the browser saw (null: none yet), to catch up from. */
const Subscribe = z.strictObject({
  topics: z.array(z.string().max(64)).max(32),
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
});

const room = (topic: Topic) => `topic:${topic}`;
const toLive = (e: { id: number; topic: string; type: string; payload: Record<string, unknown>; createdAt: Date }): LiveEvent => ({
  id: Number(e.id),
  topic: e.topic as Topic,
  type: e.type,
  payload: e.payload,
  at: e.createdAt.toISOString(),
});

/**
 * socket.io on the web server's own HTTP server. The browser's session cookie authenticates the
 * socket; a browser joins a topic's room only when its role may see that topic. Events come from
 * the transactional outbox through Postgres LISTEN/NOTIFY, so whichever process committed them
 * (web node or worker), every web node relays them. Designer presence (presence.server.ts) rides
 * on the same sockets and the same LISTEN connection.
 */
export async function attachRealtime(server: http.Server, orm: MikroORM, databaseUrl: string, opts: { presence?: PresenceOptions } = {}) {
  const io = new Server(server, {
    serveClient: false,
    cors: { origin: false },
    // A browser on another site may not open a socket with the user's cookie (cross-site WebSocket
    // hijacking): a handshake that names a foreign Origin is refused. Scripts and servers send none.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, !origin || sameOrigin(origin, req.headers.host));
    },
  });

  io.use(async (socket, next) => {
    try {
      const user = await getUserFromCookieHeader(orm.em.fork(), socket.handshake.headers.cookie);
      if (!user) return next(new Error('unauthenticated'));
      socket.data.user = user;
      next();
    } catch (e) {
      next(e as Error);
    }
  });

  io.on('connection', (socket: Socket) => {
    const user = socket.data.user as CurrentUser;
    onEvent(socket, 'subscribe', Subscribe, async ({ topics, since }) => {
      const joined: Topic[] = [];
      const denied: string[] = [];
      for (const t of topics) {
        if (isTopic(t) && can(user.role, TOPICS[t])) {
          joined.push(t);
          await socket.join(room(t));
        } else denied.push(t);
      }
      let missed: LiveEvent[] = [];
      if (since != null && joined.length) {
        const rows = await orm.em.fork().find(OutboxEvent, { id: { $gt: since }, topic: { $in: joined } }, { orderBy: { id: 'asc' }, limit: CATCH_UP_LIMIT });
        missed = rows.map(toLive);
      }
      return { joined, denied, missed, truncated: missed.length === CATCH_UP_LIMIT };
    });
  });

  const presence = attachPresence(io, orm, opts.presence);

  // Relay committed outbox rows. NOTIFY carries only a wake-up; we read every row after the last one
  // sent. If the LISTEN connection drops (database restart), reconnect and catch up from lastId.
  let listener: pg.Client | null = null;
  let closing = false;
  let lastId = 0;
  let draining: Promise<void> | null = null;
  let again = false;
  /** Who else hears each relayed event in this process (the dashboard feed). */
  const relayed = new Set<(e: LiveEvent) => void>();
  const drain = async (): Promise<void> => {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      do {
        again = false;
        const rows = await orm.em.fork().find(OutboxEvent, { id: { $gt: lastId } }, { orderBy: { id: 'asc' }, limit: 1000 });
        for (const row of rows) {
          lastId = Math.max(lastId, Number(row.id));
          if (!isTopic(row.topic)) continue;
          const e = toLive(row);
          io.to(room(row.topic)).emit('event', e);
          for (const listener of relayed) listener(e);
        }
        if (rows.length === 1000) again = true;
      } while (again);
    })().finally(() => {
      draining = null;
    });
    return draining;
  };
  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', (n) => {
      if (n.channel === PRESENCE_CHANNEL) presence.onNotify(n.payload);
      else void drain().catch((e) => console.error('[realtime] relay failed:', e.message));
    });
    client.on('error', (e) => {
      if (closing) return;
      console.error('[realtime] lost the LISTEN connection, reconnecting:', e.message);
      void client.end().catch(() => {});
      setTimeout(
        () =>
          void listen()
            .then(() => {
              presence.refreshAll();
              return drain();
            })
            .catch(() => {}),
        1000,
      );
    });
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      await client.query(`LISTEN ${PRESENCE_CHANNEL}`);
      listener = client;
    } catch (e) {
      if (closing) return;
      setTimeout(
        () =>
          void listen()
            .then(() => {
              presence.refreshAll();
              return drain();
            })
            .catch(() => {}),
        1000,
      );
      throw e;
    }
  };
  const { max } = await db(orm.em.fork())
    .selectFrom('outbox_event')
    .select(sql<string>`coalesce(max(id), 0)::bigint`.as('max'))
    .executeTakeFirstOrThrow();
  lastId = Number(max);
  await listen();

  return {
    io,
    /** Calls `listener` with every committed event this process relays to browsers. */
    onRelay(listener: (e: LiveEvent) => void) {
      relayed.add(listener);
    },
    async close() {
      closing = true;
      await presence.close();
      io.close();
      await listener?.end().catch(() => {});
    },
  };
}
