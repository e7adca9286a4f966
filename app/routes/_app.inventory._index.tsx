import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator, useSearchParams } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { z } from 'zod';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { useLive, useStickyActionData } from '../lib/live.ts';
import { inventoryLevels } from '../modules/inventory/queries.server.ts';
import { adjustStock } from '../modules/inventory/service.server.ts';
import { ADJUSTMENT_KINDS } from '../../entities/constants.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { DateOnly } from '../components/format.tsx';

const PAGE = 100;
const Filters = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  warehouse: z.string().max(64).optional().catch(undefined),
  low: z.literal('1').optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'inventory.view');
  const f = Filters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const [levels, warehouses] = await Promise.all([
    inventoryLevels(em, { q: f.q || undefined, warehouse: f.warehouse || undefined, lowOnly: f.low === '1', limit: PAGE + 1, offset: (f.page - 1) * PAGE }),
    em.execute<{ code: string; name: string }[]>('select code, name from warehouse order by code'),
  ]);
  return { levels: levels.slice(0, PAGE), more: levels.length > PAGE, page: f.page, warehouses, canAdjust: can(user.role, 'inventory.manage') };
}

type ActionData = {
  ok?: { sku: string; warehouse: string; onHand: number; atp: number };
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'inventory.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  try {
    const r = await adjustStock(context.orm, Object.fromEntries(form), userActor(user, context.ip));
    return data<ActionData>({ ok: r });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { errors: e.errors } : { error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function Inventory() {
  const { levels, more, page, warehouses, canAdjust } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const revalidator = useRevalidator();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLive('inventory', () => {
    pending.current ??= setTimeout(() => {
      pending.current = null;
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 2000);
  });
  const err = (f: string) => result?.errors?.find((e) => e.field === f);

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.inventory')}</h1>
        <nav className="tabs" aria-label={t('inventory.views')}>
          <Link to="/inventory" className={params.get('low') !== '1' ? 'active' : ''}>
            {t('inventory.allLevels')}
          </Link>
          <Link to="/inventory?low=1" className={params.get('low') === '1' ? 'active' : ''} data-testid="low-stock">
            {t('inventory.lowStock')}
          </Link>
        </nav>
      </div>

      {canAdjust ? (
        <details className="card" open={!!result && !result.ok}>
          <summary>{t('inventory.adjust.title')}</summary>
          <Form method="post" className="filters" data-testid="adjust-form">
            <CsrfInput />
            <label className="field">
              <span>{t('inventory.columns.sku')}</span>
              <input name="sku" required />
              <FieldErrorText error={err('sku')} />
            </label>
            <label className="field">
              <span>{t('inventory.columns.warehouse')}</span>
              <select name="warehouse">
                {warehouses.map((w) => (
                  <option key={w.code} value={w.code}>
                    {w.code} · {w.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('inventory.adjust.kind')}</span>
              <select name="kind">
                {ADJUSTMENT_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`inventory.kinds.${k}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('inventory.adjust.quantity')}</span>
              <input name="quantity" type="number" required />
              <FieldErrorText error={err('quantity')} />
            </label>
            <label className="field grow">
              <span>{t('inventory.adjust.reason')}</span>
              <input name="reason" required />
              <FieldErrorText error={err('reason')} />
            </label>
            <button type="submit" className="primary">
              {t('inventory.adjust.submit')}
            </button>
          </Form>
          {result?.ok ? <Toast>{t('inventory.adjust.done', result.ok)}</Toast> : null}
          {result?.error ? (
            <p className="form-error" role="alert">
              {t(`errors.${result.error.code}`, result.error.params)}
            </p>
          ) : null}
        </details>
      ) : null}

      <Form method="get" className="filters">
        <label className="field grow">
          <span>{t('inventory.search')}</span>
          <input type="search" name="q" defaultValue={params.get('q') ?? ''} />
        </label>
        <label className="field">
          <span>{t('inventory.columns.warehouse')}</span>
          <select name="warehouse" defaultValue={params.get('warehouse') ?? ''}>
            <option value="">{t('common.all')}</option>
            {warehouses.map((w) => (
              <option key={w.code} value={w.code}>
                {w.code}
              </option>
            ))}
          </select>
        </label>
        {params.get('low') === '1' ? <input type="hidden" name="low" value="1" /> : null}
        <button type="submit">{t('common.filter')}</button>
      </Form>

      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="inventory-table">
          <thead>
            <tr>
              <th>{t('inventory.columns.sku')}</th>
              <th>{t('inventory.columns.product')}</th>
              <th>{t('inventory.columns.warehouse')}</th>
              <th className="num">{t('inventory.columns.onHand')}</th>
              <th className="num">{t('inventory.columns.reserved')}</th>
              <th className="num">{t('inventory.columns.atp')}</th>
              <th className="num">{t('inventory.columns.inbound')}</th>
              <th className="num">{t('inventory.columns.reorderPoint')}</th>
            </tr>
          </thead>
          <tbody>
            {levels.map((l) => (
              <tr key={`${l.sku}-${l.warehouse}`} className={l.atp <= l.reorderPoint ? 'low' : ''}>
                <td>
                  <code>{l.sku}</code>
                </td>
                <td>{l.productName}</td>
                <td>{l.warehouse}</td>
                <td className="num">{l.onHand}</td>
                <td className="num">{l.reserved}</td>
                <td className="num strong">
                  {l.atp}
                  {l.atp <= l.reorderPoint ? <span className="badge status-on_hold">{t('inventory.low')}</span> : null}
                </td>
                <td className="num">
                  {l.inbound ? (
                    <>
                      {l.inbound}
                      {l.nextInboundAt ? (
                        <div className="muted small">
                          <DateOnly value={l.nextInboundAt} />
                        </div>
                      ) : null}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="num">{l.reorderPoint}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} more={more} />
    </>
  );
}
