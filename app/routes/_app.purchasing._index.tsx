import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { FilterSelect } from '../components/filter-select.tsx';
import { z } from 'zod';
import { requireUser } from '../lib/auth.server.ts';
import { listPurchaseOrders, purchasingFilterOptions } from '../modules/purchasing/screens.server.ts';
import { isPoStatus, PO_STATUSES } from '../modules/purchasing/statuses.ts';
import { useLiveRevalidate } from '../lib/live.ts';
import { Pager } from '../components/pager.tsx';
import { DateOnly, DateTime } from '../components/format.tsx';
import { PoStatusBadge } from '../components/po-status.tsx';

const PAGE = 50;
const Filters = z.object({
  q: z.string().trim().max(64).optional().catch(undefined),
  status: z.string().max(32).optional().catch(undefined),
  supplier: z.string().max(64).optional().catch(undefined),
  warehouse: z.string().max(64).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'inventory.view');
  const f = Filters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const [rows, options] = await Promise.all([
    listPurchaseOrders(em, {
      q: f.q || undefined,
      status: isPoStatus(f.status) ? f.status : undefined,
      supplier: f.supplier || undefined,
      warehouse: f.warehouse || undefined,
      limit: PAGE + 1,
      offset: (f.page - 1) * PAGE,
    }),
    purchasingFilterOptions(em),
  ]);
  return { rows: rows.slice(0, PAGE), more: rows.length > PAGE, page: f.page, ...options };
}

export default function PurchaseOrders() {
  const { rows, more, page, suppliers, warehouses } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const [params] = useSearchParams();
  useLiveRevalidate('inventory', (e) => e.type === 'po.updated', 2000);

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.purchasing')}</h1>
        <nav className="tabs" aria-label={t('purchasing.views')}>
          <Link to="/purchasing" className="active">
            {t('purchasing.orders')}
          </Link>
          <Link to="/purchasing/suppliers" data-testid="suppliers-tab">
            {t('purchasing.suppliers.title')}
          </Link>
        </nav>
      </div>

      <Form method="get" className="filters" data-testid="po-filters">
        <label className="field grow">
          <span>{t('purchasing.search')}</span>
          <input type="search" name="q" defaultValue={params.get('q') ?? ''} />
        </label>
        <label className="field">
          <span>{t('purchasing.columns.status')}</span>
          <select name="status" defaultValue={params.get('status') ?? ''}>
            <option value="">{t('common.all')}</option>
            {PO_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`purchasing.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <FilterSelect
          label={t('purchasing.columns.supplier')}
          name="supplier"
          value={params.get('supplier')}
          options={suppliers.map((s) => [s.code, `${s.code} · ${s.name}`] as const)}
        />
        <FilterSelect label={t('purchasing.columns.warehouse')} name="warehouse" value={params.get('warehouse')} options={warehouses.map((w) => w.code)} />
        <button type="submit">{t('common.filter')}</button>
      </Form>

      {rows.length === 0 ? (
        <p className="notice info" data-testid="po-empty">
          {t('purchasing.empty')}
        </p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="po-table">
            <thead>
              <tr>
                <th>{t('purchasing.columns.number')}</th>
                <th>{t('purchasing.columns.supplier')}</th>
                <th>{t('purchasing.columns.warehouse')}</th>
                <th>{t('purchasing.columns.status')}</th>
                <th className="num">{t('purchasing.columns.lines')}</th>
                <th className="num">{t('purchasing.columns.ordered')}</th>
                <th className="num">{t('purchasing.columns.received')}</th>
                <th>{t('purchasing.columns.expected')}</th>
                <th>{t('purchasing.columns.created')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-po={r.number}>
                  <td>
                    <Link to={`/purchasing/${r.id}`}>
                      <code>{r.number}</code>
                    </Link>
                  </td>
                  <td>
                    <span title={r.supplierName}>{r.supplierCode}</span>
                  </td>
                  <td>{r.warehouse}</td>
                  <td>
                    <PoStatusBadge status={r.status} />
                  </td>
                  <td className="num">{r.lines}</td>
                  <td className="num">{r.ordered}</td>
                  <td className="num">{r.received}</td>
                  <td>{r.expectedAt ? <DateOnly value={r.expectedAt} /> : '—'}</td>
                  <td>
                    <DateTime value={r.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} more={more} />
    </>
  );
}
