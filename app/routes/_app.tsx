import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useLocation } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { AREAS, can } from '../lib/permissions.ts';
import { useLive, useLiveStatus } from '../lib/live.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { LocaleSwitcher } from '../components/locale-switcher.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  // Recent alerts (SLA breaches and flow alerts) for the bell, for roles that watch the dashboards.
  const alerts = can(user.role, 'dashboards.view')
    ? (
        await context.orm.em
          .fork()
          .execute<{ id: number; payload: { message: string; severity: string; workflowId?: string }; created_at: Date }[]>(
            `select id, payload, created_at from outbox_event where type = 'alert.raised' and created_at > now() - interval '7 days' order by id desc limit 10`,
          )
      ).map((a) => ({
        id: Number(a.id),
        message: a.payload.message,
        severity: a.payload.severity,
        workflowId: a.payload.workflowId ?? null,
        at: new Date(a.created_at).toISOString(),
      }))
    : [];
  return { user, alerts };
}

/** The console shell: navigation for the areas the user's role may open, language, live status, sign-out. */
export default function Shell() {
  const { t } = useTranslation();
  const root = useRootData();
  const user = root?.user;
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setMenuOpen(false), [location.pathname]);
  const live = useLiveStatus();
  const { alerts: initialAlerts } = useLoaderData<typeof loader>();
  const [alerts, setAlerts] = useState(initialAlerts);
  const [unseen, setUnseen] = useState(0);
  const [bellOpen, setBellOpen] = useState(false);
  useEffect(() => setAlerts(initialAlerts), [initialAlerts]);
  useLive('dashboards', (e) => {
    if (e.type !== 'alert.raised') return;
    const p = e.payload as { message: string; severity: string; workflowId?: string };
    setAlerts((a) => [{ id: e.id, message: p.message, severity: p.severity, workflowId: p.workflowId ?? null, at: e.at }, ...a].slice(0, 10));
    setUnseen((n) => n + 1);
  });
  const canSeeAlerts = can(user?.role, 'dashboards.view');

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          aria-label={t('shell.menu')}
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span className="hamburger" aria-hidden="true" />
        </button>
        <a href="/" className="brand">
          {t('app.name')}
        </a>
        <span
          className={`live-dot live-${live}`}
          title={t(`shell.live.${live}`)}
          aria-label={t(`shell.live.${live}`)}
          data-testid="live-status"
          data-status={live}
        />
        <div className="topbar-right">
          {canSeeAlerts ? (
            <div className="bell">
              <button
                type="button"
                className="bell-button"
                aria-label={t('alerts.title')}
                aria-expanded={bellOpen}
                data-testid="alert-bell"
                onClick={() => {
                  setBellOpen((o) => !o);
                  setUnseen(0);
                }}
              >
                <span className="bell-icon" aria-hidden="true" />
                {unseen ? (
                  <span className="bell-count" data-testid="alert-count">
                    {unseen}
                  </span>
                ) : null}
              </button>
              {bellOpen ? (
                <div className="bell-panel" role="dialog" aria-label={t('alerts.title')}>
                  {alerts.length ? (
                    <ul>
                      {alerts.map((a) => (
                        <li key={a.id} className={`alert-${a.severity}`}>
                          {a.workflowId ? <a href={`/workflows/runs/${encodeURIComponent(a.workflowId)}`}>{a.message}</a> : a.message}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="muted">{t('alerts.none')}</p>
                  )}
                </div>
              ) : null}
            </div>
          ) : null}
          <LocaleSwitcher />
          {user ? (
            <span className="user-chip" data-testid="current-user">
              <span className="user-name">{user.name}</span>
              <span className="role-badge">{t(`roles.${user.role}`)}</span>
            </span>
          ) : null}
          <Form method="post" action="/logout">
            <CsrfInput />
            <button type="submit" className="link-button">
              {t('auth.logout')}
            </button>
          </Form>
        </div>
      </header>
      <nav id="main-nav" className="sidenav" aria-label={t('shell.navigation')}>
        <ul>
          {AREAS.filter((a) => can(user?.role, a.permission)).map((a) => (
            <li key={a.id}>
              <NavLink to={a.path} data-testid={`nav-${a.id}`}>
                {t(`nav.${a.id}`)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
