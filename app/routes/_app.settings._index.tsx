import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.view');
  return null;
}

const SECTIONS = ['users', 'api-keys', 'audit', 'notifications', 'exchange-rates', 'warehouses', 'carriers', 'channels'] as const;
/** The service desk's settings (admins and ops managers: `service.settings`). */
const SERVICE_SECTIONS = ['teams', 'agents', 'sla', 'calendars'] as const;

export default function Settings() {
  const { t } = useTranslation();
  return (
    <>
      <h1 className="page-title">{t('nav.settings')}</h1>
      <ul className="card-list">
        {SECTIONS.map((s) => (
          <li key={s} className="card">
            <Link to={`/settings/${s}`} data-testid={`settings-${s}`}>
              {t(`settings.sections.${s}.title`)}
            </Link>
            <p className="muted">{t(`settings.sections.${s}.body`)}</p>
          </li>
        ))}
        {SERVICE_SECTIONS.map((s) => (
          <li key={s} className="card">
            <Link to={`/settings/${s}`} data-testid={`settings-${s}`}>
              {t(`sla.sections.${s}.title`)}
            </Link>
            <p className="muted">{t(`sla.sections.${s}.body`)}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
