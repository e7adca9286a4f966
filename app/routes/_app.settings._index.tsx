import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { DESK_SETTINGS } from '../modules/service/queue.ts';
import { requireUser } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  return { service: can(user.role, 'service.settings') };
}

const SECTIONS = ['store', 'users', 'api-keys', 'audit', 'notifications', 'exchange-rates', 'warehouses', 'carriers', 'channels'] as const;

export default function Settings() {
  const { t } = useTranslation();
  const { service } = useLoaderData<typeof loader>();
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
        <li className="card">
          <Link to="/settings/webhooks" data-testid="settings-webhooks">
            {t('webhooks.sections.webhooks.title')}
          </Link>
          <p className="muted">{t('webhooks.sections.webhooks.body')}</p>
        </li>
        {(service ? DESK_SETTINGS : []).map(([s, ns]) => (
          <li key={s} className="card">
            <Link to={`/settings/${s}`} data-testid={`settings-${s}`}>
              {t(`${ns}.sections.${s}.title`)}
            </Link>
            <p className="muted">{t(`${ns}.sections.${s}.body`)}</p>
          </li>
        ))}
        <li className="card">
          <Link to="/settings/api-docs" data-testid="settings-api-docs">
            {t('apiDocs.sectionTitle')}
          </Link>
          <p className="muted">{t('apiDocs.sectionBody')}</p>
        </li>
      </ul>
    </>
  );
}
