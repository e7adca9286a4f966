import type { LoaderFunctionArgs } from '@remix-run/node';
import { checkHealth } from '../lib/health.server.ts';

/** Liveness of every part: 200 when all are ok, 503 naming the part that is down. */
export async function loader({ context }: LoaderFunctionArgs) {
  const health = await checkHealth(context);
  return Response.json(health, { status: health.status === 'ok' ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
