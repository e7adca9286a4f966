// One way to take a socket.io event from a browser: the payload is checked against the boundary rule and
// its zod schema, the handler runs guarded, and the answer goes to the acknowledgement callback when the
// client asked for one. No payload, however malformed, and no failure (the database restarting) can reject
// unhandled and end the process.
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { findFault } from './boundary.ts';
import { fieldErrors, type FieldError } from './problem.ts';
import { isOutage } from './outage.ts';

/** What a refused or failed event acknowledges. */
export type EventRefusal = { error: 'invalid'; errors: FieldError[] } | { error: 'unavailable' | 'failed' };

export function onEvent<S extends z.ZodType>(socket: Socket, event: string, schema: S, handler: (payload: z.infer<S>) => Promise<unknown>): void {
  socket.on(event, (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (answer: unknown) => void) : null;
    const reply = (answer: unknown) => {
      if (ack)
        try {
          ack(answer);
        } catch {
          /* the client went away */
        }
    };
    const payload = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const fault = findFault(payload);
    if (fault) return reply({ error: 'invalid', errors: [fault] } satisfies EventRefusal);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return reply({ error: 'invalid', errors: fieldErrors(parsed.error) } satisfies EventRefusal);
    handler(parsed.data).then(
      (answer) => reply(answer ?? { ok: true }),
      (e: unknown) => {
        const outage = isOutage(e);
        console.error(`[socket] ${event} failed${outage ? ' (database unavailable)' : ''}:`, (e as Error)?.message ?? e);
        reply({ error: outage ? 'unavailable' : 'failed' } satisfies EventRefusal);
      },
    );
  });
}
