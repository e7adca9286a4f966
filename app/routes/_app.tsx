import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLocation } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { AREAS, can } from '../lib/permissions.ts';
import { useLiveStatus } from '../lib/live.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { LocaleSwitcher } from '../components/locale-switcher.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { user };
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

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <header className="topbar">
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" aria-label={t('shell.menu')} onClick={() => setMenuOpen((o) => !o)}>
          <span className="hamburger" aria-hidden="true" />
        </button>
        <a href="/" className="brand">{t('app.name')}</a>
        <span className={`live-dot live-${live}`} title={t(`shell.live.${live}`)} aria-label={t(`shell.live.${live}`)} data-testid="live-status" data-status={live} />
        <div className="topbar-right">
          <LocaleSwitcher />
          {user ? (
            <span className="user-chip" data-testid="current-user">
              <span className="user-name">{user.name}</span>
              <span className="role-badge">{t(`roles.${user.role}`)}</span>
            </span>
          ) : null}
          <Form method="post" action="/logout">
            <CsrfInput />
            <button type="submit" className="link-button">{t('auth.logout')}</button>
          </Form>
        </div>
      </header>
      <nav id="main-nav" className="sidenav" aria-label={t('shell.navigation')}>
        <ul>
          {AREAS.filter((a) => can(user?.role, a.permission)).map((a) => (
            <li key={a.id}>
              <NavLink to={a.path} data-testid={`nav-${a.id}`}>{t(`nav.${a.id}`)}</NavLink>
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
