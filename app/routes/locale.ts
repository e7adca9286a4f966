import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { User } from '../../entities/index.ts';
import { assertCsrf, getUser, serializeCookie, userActor } from '../lib/auth.server.ts';
import { audit } from '../lib/audit.server.ts';
import { LOCALE_COOKIE, LOCALES } from '../lib/i18n.ts';
import { validationProblem } from '../lib/problem.ts';
import { safeRedirect } from '../lib/redirects.ts';

const Input = z.object({ locale: z.enum(LOCALES), redirectTo: z.string().max(2000).default('/') });

/** Switches the language: on the user when signed in (audited), in a cookie either way. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Input.safeParse(Object.fromEntries(form));
  if (!parsed.success) return validationProblem(parsed.error);
  const { locale, redirectTo } = parsed.data;
  const user = await getUser(request, context);
  if (user && user.locale !== locale) {
    await context.orm.em.fork().transactional(async (em) => {
      const row = await em.findOneOrFail(User, user.id);
      audit(em, userActor(user, context.ip), {
        action: 'user.locale_changed',
        entityType: 'User',
        entityId: user.id,
        before: { locale: row.locale },
        after: { locale },
      });
      row.locale = locale;
    });
  }
  return redirect(safeRedirect(redirectTo), {
    headers: { 'Set-Cookie': serializeCookie(LOCALE_COOKIE, locale, { maxAge: 60 * 60 * 24 * 365, secure: context.secure }) },
  });
}

export const loader = () => redirect('/');
