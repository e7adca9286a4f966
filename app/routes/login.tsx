import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { assertCsrf, getUser, login } from '../lib/auth.server.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { safeRedirect } from '../lib/redirects.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { LocaleSwitcher } from '../components/locale-switcher.tsx';
import { FieldErrorText } from '../components/field-error.tsx';

const Input = z.object({
  email: z.string().trim().email(),
  password: z.string().min(1),
  redirectTo: z.string().max(2000).optional(),
});

/** The action's Retry-After (a throttled sign-in) reaches the document response. */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getUser(request, context)) throw redirect('/');
  return null;
}

type ActionData = { errors?: FieldError[]; formError?: string; params?: Record<string, number> };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Input.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const result = await login(context, { ...parsed.data, userAgent: request.headers.get('User-Agent') });
  if (!result.ok && result.code === 'too_many_attempts') {
    return data<ActionData>(
      { formError: 'errors.too_many_attempts', params: { seconds: result.retryAfterSeconds } },
      { status: 429, headers: { 'Retry-After': String(result.retryAfterSeconds) } },
    );
  }
  if (!result.ok) return data<ActionData>({ formError: `errors.${result.code}` }, { status: 401 });
  return redirect(safeRedirect(parsed.data.redirectTo), { headers: { 'Set-Cookie': result.setCookie } });
}

export default function Login() {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const [params] = useSearchParams();
  const busy = useNavigation().state !== 'idle';
  const errorFor = (field: string) => actionData?.errors?.find((e) => e.field === field);
  return (
    <main className="login-page">
      <div className="login-card">
        <div className="login-head">
          <h1>{t('app.name')}</h1>
          <LocaleSwitcher />
        </div>
        <p className="muted">{t('auth.subtitle')}</p>
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? '/'} />
          <label className="field">
            <span>{t('auth.email')}</span>
            <input name="email" type="email" autoComplete="username" required aria-invalid={!!errorFor('email')} data-testid="login-email" />
            <FieldErrorText error={errorFor('email')} />
          </label>
          <label className="field">
            <span>{t('auth.password')}</span>
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required
              aria-invalid={!!errorFor('password')}
              data-testid="login-password"
            />
            <FieldErrorText error={errorFor('password')} />
          </label>
          {actionData?.formError ? (
            <p className="form-error" role="alert">
              {t(actionData.formError, actionData.params)}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
            {t('auth.login')}
          </button>
        </Form>
      </div>
    </main>
  );
}
