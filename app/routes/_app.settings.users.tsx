import type { LoaderFunctionArgs } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { User } from '../../entities/index.ts';
import { requireUser } from '../lib/auth.server.ts';
import { formatDateTime } from '../lib/format.ts';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.view');
  const users = await context.orm.em.fork().find(User, {}, { orderBy: { role: 'asc', email: 'asc' } });
  return {
    users: users.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      role: u.role,
      locale: u.locale,
      active: u.active,
      lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    })),
  };
}

export default function Users() {
  const { users } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useRootData()?.locale ?? 'en';
  return (
    <>
      <h1 className="page-title">{t('settings.sections.users.title')}</h1>
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="users-table">
          <thead>
            <tr>
              <th>{t('users.name')}</th>
              <th>{t('users.email')}</th>
              <th>{t('users.role')}</th>
              <th>{t('users.language')}</th>
              <th>{t('users.lastLogin')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>{t(`roles.${u.role}`)}</td>
                <td>{t(`locales.${u.locale}`)}</td>
                <td>{u.lastLoginAt ? formatDateTime(u.lastLoginAt, locale) : t('apiKeys.never')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
