import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/auth.server.ts';
import { routeId } from '../lib/ids.ts';
import { attachment } from '../modules/service/queries.server.ts';

/**
 * A ticket attachment, only ever as a download: served as bytes (application/octet-stream) with
 * `Content-Disposition: attachment`, nosniff and a sandboxing CSP, so nothing a customer sent runs in the console.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, 'service.view');
  const a = await attachment(context.orm.em.fork(), routeId(params.id, 'attachment'));
  if (!a) throw new Response(null, { status: 404 });
  const ascii = a.filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return new Response(new Uint8Array(a.content), {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(a.content.length),
      'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, no-store',
    },
  });
}
