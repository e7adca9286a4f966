// What the service desk's settings screens (canned responses, macros, approval limits) share: ops
// managers and admins see and change them ('service.settings'); posts carry the CSRF token.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import type { Actor } from '../../lib/audit.server.ts';
import { assertCsrf, requireUser, userActor } from '../../lib/auth.server.ts';
import { DomainError } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';

/** The loader's start: a user who may manage the desk's settings, the URL and `?id=` (a number, `new`, or none). */
export async function loadServiceSettings({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'service.settings');
  const url = new URL(request.url);
  const raw = url.searchParams.get('id');
  const creating = raw === 'new';
  if (raw && !creating && !/^\d{1,9}$/.test(raw)) throw new Response(null, { status: 404 });
  return { url, em: context.orm.em.fork(), creating, id: raw && !creating ? Number(raw) : null };
}

export async function readServiceSettingsPost({ request, context }: ActionFunctionArgs): Promise<{ form: FormData; actor: Actor }> {
  const user = await requireUser(request, context, 'service.settings');
  const form = await request.formData();
  assertCsrf(request, form);
  return { form, actor: userActor(user, context.ip) };
}

export const savedTo = (screen: string, id: number | null, done: string) => redirect(`${screen}?${id != null ? `id=${id}&` : ''}done=${done}`);

/** A refused post: its status and errors by field for the page (404 as a page), `echo` beside them (what was posted); anything else is thrown on. */
export function refused<T extends object>(e: unknown, echo?: T) {
  if (!(e instanceof DomainError)) throw e;
  if (e.status === 404) throw new Response(null, { status: 404 });
  const errors: FieldError[] = e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }];
  return data({ ...echo, errors }, { status: e.status });
}
