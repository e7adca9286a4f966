// What the settings screens that list records and edit one (warehouses, carriers, channels) do alike
// on the server: the loader's `?code=` (a record, or `new` for the add form), the post of a manager
// with its CSRF token, the redirect after a save, and a refusal answered beside the form.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../lib/audit.server.ts';
import { assertCsrf, requireUser, userActor } from '../../lib/auth.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { can } from '../../lib/permissions.ts';
import { saveOutcome } from './form.ts';

/**
 * The start of a settings screen's loader: a viewer of the settings, whether they may change them,
 * and the record `?code=` names (none listed: 404). With `canAdd`, `?code=new` opens the form for a
 * new record instead (managers only: 403).
 */
export async function loadSettingsScreen<T>(
  { request, context }: LoaderFunctionArgs,
  find: (em: EntityManager, code: string) => Promise<T | null>,
  opts: { canAdd?: boolean } = {},
) {
  const user = await requireUser(request, context, 'settings.view');
  const url = new URL(request.url);
  const em = context.orm.em.fork();
  const canManage = can(user.role, 'settings.manage');
  const code = url.searchParams.get('code');
  const creating = !!opts.canAdd && code === 'new';
  const selected = code && !creating ? await find(em, code) : null;
  if (code && !creating && !selected) throw new Response(null, { status: 404 });
  if (creating && !canManage) throw new Response(null, { status: 403 });
  return { url, em, canManage, selected, creating };
}

/** A settings form's post: a manager's, its CSRF token checked; `actor` is who the audit names. */
export async function readSettingsPost({ request, context }: ActionFunctionArgs): Promise<{ form: FormData; actor: Actor }> {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  return { form, actor: userActor(user, context.ip) };
}

/** After a save, back to the screen on the record, `?done=` saying what the save did (the page's notice). */
export const savedRedirect = (screen: string, code: string, r: { created?: boolean; changed: string[] }) =>
  redirect(`${screen}?code=${encodeURIComponent(code)}&done=${saveOutcome(r)}`);

/**
 * A post the domain refused, answered with its status and the errors by field (one on `_` when it
 * names none) for the page to show, `echo` beside them (which form was posted). A record that is not
 * there is a 404 page; anything other than a DomainError is thrown on.
 */
export function refusedPost<T extends object>(e: unknown, echo: T) {
  if (!(e instanceof DomainError)) throw e;
  if (e.status === 404) throw new Response(null, { status: 404 });
  return data({ ...echo, errors: e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] }, { status: e.status });
}

/** A post of a form the screen does not have (a stale page, a hand-made post): 422 on `intent`. */
export const unknownIntent = <T extends object>(echo: T) =>
  data({ ...echo, errors: [{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] }, { status: 422 });
