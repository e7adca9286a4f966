import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/auth.server.ts';
import { AREAS, can } from '../lib/permissions.ts';

/** Home: the first area the user's role may open. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const first = AREAS.find((a) => can(user.role, a.permission));
  throw redirect(first?.path ?? '/settings');
}
