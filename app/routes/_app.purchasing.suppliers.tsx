import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { listSuppliers } from '../modules/purchasing/screens.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'inventory.view');
  return { suppliers: await listSuppliers(context.orm.em.fork()) };
}

export default function Suppliers() {
  const { suppliers } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.purchasing')}</h1>
        <nav className="tabs" aria-label={t('purchasing.views')}>
          <Link to="/purchasing">{t('purchasing.orders')}</Link>
          <Link to="/purchasing/suppliers" className="active">
            {t('purchasing.suppliers.title')}
          </Link>
        </nav>
      </div>
      {suppliers.length === 0 ? (
        <p className="notice info">{t('purchasing.suppliers.empty')}</p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="supplier-table">
            <thead>
              <tr>
                <th>{t('purchasing.suppliers.code')}</th>
                <th>{t('purchasing.suppliers.name')}</th>
                <th>{t('purchasing.suppliers.email')}</th>
                <th>{t('purchasing.suppliers.currency')}</th>
                <th className="num">{t('purchasing.suppliers.leadTime')}</th>
                <th className="num">{t('purchasing.suppliers.products')}</th>
                <th className="num">{t('purchasing.suppliers.openPos')}</th>
              </tr>
            </thead>
            <tbody>
              {suppliers.map((s) => (
                <tr key={s.id} data-supplier={s.code} className={s.active ? '' : 'muted'}>
                  <td>
                    <code>{s.code}</code>
                    {s.active ? null : <span className="badge po-cancelled">{t('purchasing.suppliers.inactive')}</span>}
                  </td>
                  <td>{s.name}</td>
                  <td>{s.email ? <a href={`mailto:${s.email}`}>{s.email}</a> : '—'}</td>
                  <td>{s.currency}</td>
                  <td className="num">{t('purchasing.suppliers.days', { count: s.leadTimeDays })}</td>
                  <td className="num">{s.products}</td>
                  <td className="num">{s.openPos ? <Link to={`/purchasing?supplier=${encodeURIComponent(s.code)}`}>{s.openPos}</Link> : 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
