import type { LoaderFunctionArgs } from '@remix-run/node';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';

/** Where the reference reads the document from (public: GET /api/v1/openapi.json). */
const SPEC_URL = '/api/v1/openapi.json';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.view');
  return null;
}

type Status = 'loading' | 'ready' | 'failed';

/**
 * The API reference: Scalar's renderer (a Vue app, hundreds of kB) is loaded in the browser only, by a
 * dynamic import after hydration, so neither the server render nor any other page carries it.
 */
export default function ApiDocs() {
  const { t } = useTranslation();
  const mount = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<Status>('loading');

  useEffect(() => {
    let app: { destroy: () => void } | null = null;
    let cancelled = false;
    void (async () => {
      try {
        const [{ createApiReference }] = await Promise.all([import('@scalar/api-reference'), import('@scalar/api-reference/style.css')]);
        if (cancelled || !mount.current) return;
        app = createApiReference(mount.current, {
          url: SPEC_URL,
          withDefaultFonts: false,
          hideClientButton: true,
          // No AI chat: it would send the document to an outside service (and our CSP forbids the call anyway).
          agent: { disabled: true },
          hideDarkModeToggle: true,
          telemetry: false,
          showDeveloperTools: 'never',
        });
        setStatus('ready');
      } catch {
        if (!cancelled) setStatus('failed');
      }
    })();
    return () => {
      cancelled = true;
      app?.destroy();
    };
  }, []);

  return (
    <>
      <h1 className="page-title">{t('apiDocs.title')}</h1>
      <p className="muted">{t('apiDocs.intro')}</p>
      <p>
        <a href={SPEC_URL} data-testid="api-docs-json">
          {t('apiDocs.download')}
        </a>{' '}
        <span className="muted">{t('apiDocs.public')}</span>
      </p>
      {status === 'loading' ? <p className="muted">{t('apiDocs.loading')}</p> : null}
      {status === 'failed' ? (
        <p className="notice error" role="alert">
          {t('apiDocs.failed')}
        </p>
      ) : null}
      <div ref={mount} className="api-reference" data-testid="api-reference" />
    </>
  );
}
