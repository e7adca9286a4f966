import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useLocation, useMatches } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { AREAS, can } from '../lib/permissions.ts';
import { useLive, useLiveStatus } from '../lib/live.ts';
import { keepOnLiveRefresh } from '../lib/revalidate.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { LocaleSwitcher } from '../components/locale-switcher.tsx';
import { useRootData } from '../root.tsx';
import { pluginDescriptors } from '../lib/plugins.server.ts';
import { registerDescribedPlugins } from '../lib/plugins.ts';

/** One line of the bell: a flow's or the SLA watcher's alert, or a colleague's @mention of this user. */
export interface BellItem {
  id: number;
  message: string;
  messageKey: string | null;
  params: Record<string, string | number>;
  severity: string;
  href: string | null;
  at: string;
}

type AlertPayload = {
  message?: string;
  messageKey?: string;
  params?: Record<string, string | number>;
  severity?: string;
  workflowId?: string;
  ticketId?: number;
  /** A path in the console the alert links to. */
  href?: string;
  number?: string;
  by?: string;
  userId?: number;
};

/** A bell line from an outbox event (`alert.raised`, or `ticket.mentioned` for the user named). */
function bellItem(id: number, type: string, p: AlertPayload, at: string): BellItem {
  if (type === 'ticket.mentioned')
    return {
      id,
      message: `${p.by ?? ''} @ ${p.number ?? ''}`,
      messageKey: 'alerts.mentioned',
      params: { by: p.by ?? '', number: p.number ?? '' },
      severity: 'info',
      href: `/service/${p.ticketId}`,
      at,
    };
  return {
    id,
    message: p.message ?? '',
    messageKey: p.messageKey ?? null,
    params: p.params ?? {},
    severity: p.severity ?? 'info',
    href: p.href?.startsWith('/')
      ? p.href
      : p.ticketId
        ? `/service/${p.ticketId}`
        : p.workflowId
          ? `/workflows/runs/${encodeURIComponent(p.workflowId)}`
          : null,
    at,
  };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  // Recent alerts (SLA breaches and flow alerts) for the bell, for roles that watch the dashboards, and this user's @mentions.
  const rows = can(user.role, 'dashboards.view')
    ? await context.orm.em.fork().execute<{ id: number; type: string; payload: AlertPayload; created_at: Date }[]>(
        `select id, type, payload, created_at from outbox_event
            where created_at > now() - interval '7 days'
              and (type = 'alert.raised' or (type = 'ticket.mentioned' and payload->>'userId' = ?))
            order by id desc limit 10`,
        [String(user.id)],
      )
    : [];
  const alerts = rows.map((a) => bellItem(Number(a.id), a.type, a.payload, new Date(a.created_at).toISOString()));
  return { user, alerts, plugins: pluginDescriptors() };
}

export const shouldRevalidate = keepOnLiveRefresh;

/** The console shell: navigation for the areas the user's role may open, language, live status, sign-out. */
export default function Shell() {
  const { t, i18n } = useTranslation();
  // Steps from plugins outside the catalogue, before any page below draws a flow.
  registerDescribedPlugins(useLoaderData<typeof loader>().plugins, i18n);
  const root = useRootData();
  const user = root?.user;
  const [menuOpen, setMenuOpen] = useState(false);
  // Pages that need the whole width (the designer, a run's canvas) fold the navigation away behind the menu button.
  const focus = useMatches().some((m) => (m.handle as { focus?: boolean } | undefined)?.focus);
  const location = useLocation();
  useEffect(() => setMenuOpen(false), [location.pathname]);
  const live = useLiveStatus();
  const { alerts: initialAlerts } = useLoaderData<typeof loader>();
  const [alerts, setAlerts] = useState(initialAlerts);
  const [unseen, setUnseen] = useState(0);
  const [bellOpen, setBellOpen] = useState(false);
  useEffect(() => setAlerts(initialAlerts), [initialAlerts]);
  const ring = (item: BellItem) => {
    setAlerts((a) => [item, ...a].slice(0, 10));
    setUnseen((n) => n + 1);
  };
  useLive('dashboards', (e) => {
    if (e.type === 'alert.raised') ring(bellItem(e.id, e.type, e.payload as AlertPayload, e.at));
  });
  // A colleague's @mention of this user in a ticket note.
  useLive('service', (e) => {
    if (e.type === 'ticket.mentioned' && (e.payload as AlertPayload).userId === user?.id) ring(bellItem(e.id, e.type, e.payload as AlertPayload, e.at));
  });
  /** The alert in the reader's language when it says how (SLA targets named in words). */
  const text = (a: BellItem) =>
    a.messageKey ? t(a.messageKey, { ...a.params, target: a.params.target ? t(`sla.targets.${a.params.target}`) : '', defaultValue: a.message }) : a.message;
  const canSeeAlerts = can(user?.role, 'dashboards.view');

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''} ${focus ? 'focus' : ''}`}>
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
          role="img"
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
                        <li key={a.id} className={`alert-${a.severity}`} data-testid="bell-item">
                          {a.href ? <a href={a.href}>{text(a)}</a> : text(a)}
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
