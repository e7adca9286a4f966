import { data, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node';
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { csrfToken, getUser, readCookie } from './lib/auth.server.ts';
import { isLocale, LOCALE_COOKIE, localeFromAcceptLanguage, type Locale } from './lib/i18n.ts';
import stylesheet from './styles/app.css?url';
import { useNonce } from './components/nonce.tsx';
import { useDocumentTitle } from './lib/document-title.ts';
import { keepOnLiveRefresh } from './lib/revalidate.ts';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesheet }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await getUser(request, context);
  const cookieLocale = readCookie(request, LOCALE_COOKIE);
  const locale: Locale = user?.locale ?? (isLocale(cookieLocale) ? cookieLocale : localeFromAcceptLanguage(request.headers.get('Accept-Language')));
  const csrf = csrfToken(request, context);
  return data(
    { user, locale, csrf: csrf.token, temporalUiUrl: context.config.TEMPORAL_UI_URL },
    { headers: csrf.setCookie ? { 'Set-Cookie': csrf.setCookie } : undefined },
  );
}

export const shouldRevalidate = keepOnLiveRefresh;

export type RootData = Awaited<ReturnType<typeof loader>>['data'];

export function useRootData(): RootData | undefined {
  return useRouteLoaderData<typeof loader>('root') as RootData | undefined;
}

export function Layout({ children }: { children: React.ReactNode }) {
  const root = useRootData();
  const { i18n } = useTranslation();
  const locale = root?.locale ?? 'en';
  const nonce = useNonce();
  const title = useDocumentTitle();
  // Switch synchronously during render (resources are bundled), so the new language paints at once.
  if (i18n.language !== locale) void i18n.changeLanguage(locale);
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const { t } = useTranslation();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const key = status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 401 ? 'unauthenticated' : 'internal';
  const problem = isRouteErrorResponse(error) ? problemFrom(error.data) : null;
  return (
    <main className="error-page" data-status={status} data-code={problem?.code}>
      <h1>{t(`errors.page.${key}.title`)}</h1>
      <p>{problem?.messageKey && problem.code !== 'forbidden' ? t(problem.messageKey) : t(`errors.page.${key}.body`)}</p>
      <p className="muted">{t('errors.page.status', { status })}</p>
      <a href="/">{t('errors.page.home')}</a>
    </main>
  );
}

/** Thrown problem responses reach the boundary as text or parsed JSON; keep their code and message key. */
function problemFrom(data: unknown): { code?: string; messageKey?: string } | null {
  try {
    const value = typeof data === 'string' ? JSON.parse(data) : data;
    return value && typeof value === 'object' ? (value as { code?: string; messageKey?: string }) : null;
  } catch {
    return null;
  }
}
