import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation, useRevalidator, useSearchParams } from '@remix-run/react';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { ORDER_STATUSES } from '../../entities/constants.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { Id } from '../lib/ids.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { useLive, useStickyActionData } from '../lib/live.ts';
import { listOrders, parseOrderFilters } from '../modules/orders/queries.server.ts';
import { cancelOrder, holdOrder, releaseHold } from '../modules/orders/service.server.ts';
import { pickListsForOrders, type PickRefusal } from '../modules/fulfilment/service.server.ts';
import { printHref } from '../modules/fulfilment/print.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime, Money, StatusBadge } from '../components/format.tsx';
import { PickRefusals } from '../components/pick-refusals.tsx';
import { ConfirmSubmit, Toast } from '../components/confirm-submit.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'orders.view');
  const em = context.orm.em.fork();
  const filters = parseOrderFilters(new URL(request.url).searchParams);
  const [result, channels, warehouses] = await Promise.all([
    listOrders(em, filters),
    em.execute<{ code: string; name: string }[]>('select code, name from channel order by name'),
    em.execute<{ code: string; name: string }[]>('select code, name from warehouse order by code'),
  ]);
  return { ...result, filters, channels, warehouses, canManage: can(user.role, 'orders.manage'), canPick: can(user.role, 'fulfilment.manage') };
}

/** The analytics reports' drill-down filters (app/modules/orders/filters.ts). */
const DRILL_FILTERS = [
  'country',
  'paymentMethod',
  'holdReason',
  'cancelReason',
  'shipLate',
  'deliverLate',
  'took',
  'returned',
  'returnReason',
  'returnResolution',
  'returnSku',
  'returnFrom',
  'returnTo',
] as const;

const BULK_ACTIONS = ['hold', 'release', 'cancel'] as const;
const Bulk = z.object({ bulk: z.enum([...BULK_ACTIONS, 'pick']), ids: z.array(Id).min(1).max(500) });
type BulkResult = {
  bulk?: string;
  done?: number;
  failed?: { id: number; code: string; params?: Record<string, string | number> }[];
  refused?: PickRefusal[];
  errors?: FieldError[];
};

/**
 * Bulk hold / release / cancel: each order on its own, so one refusal does not undo the others.
 * Print pick lists: pick lists for the chosen orders in one go (by each warehouse's method), then their
 * printable page; orders that cannot be picked are named there with the reason (here when none could).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Bulk.safeParse({ bulk: form.get('bulk'), ids: form.getAll('ids') });
  const permission = parsed.data?.bulk === 'pick' ? 'fulfilment.manage' : 'orders.manage';
  if (!can(user.role, permission)) throw forbidden(permission);
  if (!parsed.success) return data<BulkResult>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const actor = userActor(user, context.ip);
  if (parsed.data.bulk === 'pick') {
    const r = await pickListsForOrders(context.orm, { orderIds: parsed.data.ids }, actor);
    const lists = [...r.created.map((l) => l.id), ...r.existing.map((l) => l.id)];
    if (lists.length) throw redirect(printHref(lists, r.refused));
    return data<BulkResult>({ bulk: 'pick', done: 0, refused: r.refused });
  }
  const run = { hold: holdOrder, release: releaseHold, cancel: cancelOrder }[parsed.data.bulk as (typeof BULK_ACTIONS)[number]];
  let done = 0;
  const failed: NonNullable<BulkResult['failed']> = [];
  for (const id of parsed.data.ids) {
    try {
      await run(context.orm, id, actor, 'bulk action');
      done++;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      failed.push({ id, code: e.code, params: e.params });
    }
  }
  return data<BulkResult>({ bulk: parsed.data.bulk, done, failed });
}

export default function Orders() {
  const { rows, total, totalCapped, page, pages, nextCursor, prevCursor, filters, channels, warehouses, canManage, canPick } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as BulkResult | undefined;
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const [selected, setSelected] = useState<Set<number>>(new Set());

  // New and changed orders anywhere in the system refresh this page (at most every 2 s).
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLive('orders', () => {
    pending.current ??= setTimeout(() => {
      pending.current = null;
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 2000);
  });

  const link = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v === null) next.delete(k);
      else next.set(k, v);
    return `?${next}`;
  };
  const SortHeader = ({ sort, label, className }: { sort: string; label: string; className?: string }) => (
    <th className={className} aria-sort={filters.sort === sort ? (filters.dir === 'desc' ? 'descending' : 'ascending') : undefined}>
      <Link to={link({ sort, dir: filters.sort === sort && filters.dir === 'desc' ? 'asc' : 'desc', page: null, after: null, before: null })}>
        {label}
        {filters.sort === sort ? <span aria-hidden="true" className={`sort-${filters.dir}`} /> : null}
      </Link>
    </th>
  );
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  // The analytics reports' drill-down filters in force, each said in a sentence and kept by the form.
  const drills = DRILL_FILTERS.flatMap((k) => (filters[k] ? [[k, String(filters[k])] as const] : []));
  const drillText = (k: (typeof DRILL_FILTERS)[number], v: string): string => {
    if (k === 'holdReason') return t('opsReports.drill.holdReason', { reason: t(`holdReasons.${v}`, { defaultValue: v }) });
    if (k === 'paymentMethod') return t('opsReports.drill.paymentMethod', { method: t(`paymentMethods.${v}`, { defaultValue: v }) });
    if (k === 'returnReason') return t('opsReports.drill.returnReason', { reason: t(`returnReasons.${v}`, { defaultValue: v }) });
    if (k === 'returnResolution') return t(`opsReports.drill.resolution.${v === 'exchange' ? 'exchange' : 'refund'}`);
    if (k === 'cancelReason') return v === '-' ? t('opsReports.drill.cancelReasonNone') : t('opsReports.drill.cancelReason', { reason: v });
    if (k === 'took') {
      const [, stage, lo, hi] = /^(\w+):(\d+)-(\d*)$/.exec(v) ?? [];
      const name = t(`opsReports.stage.${stage === 'transit' ? 'transit' : stage === 'total' ? 'total' : 'ship'}`);
      return hi ? t('opsReports.drill.took', { stage: name, from: lo, to: hi }) : t('opsReports.drill.tookAtLeast', { stage: name, from: lo });
    }
    if (k === 'country') return t('opsReports.drill.country', { country: v });
    if (k === 'returnSku') return t('opsReports.drill.returnSku', { sku: v });
    if (k === 'returnFrom') return t('opsReports.drill.returnFrom', { date: v });
    if (k === 'returnTo') return t('opsReports.drill.returnTo', { date: v });
    return t(`opsReports.drill.${k}`);
  };
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const holdsOnly = filters.status?.length === 1 && filters.status[0] === 'on_hold';
  const canSelect = canManage || canPick;

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.orders')}</h1>
        {canManage ? (
          <Link to="/orders/new" className="button primary" data-testid="new-order">
            {t('manual.title')}
          </Link>
        ) : null}
        {canManage ? (
          <Link to="/orders/import" className="button" data-testid="import-orders">
            {t('csvImport.link')}
          </Link>
        ) : null}
        <nav className="tabs" aria-label={t('orders.views')}>
          <Link to="/orders" className={!holdsOnly ? 'active' : ''}>
            {t('orders.all')}
          </Link>
          <Link to="/orders?status=on_hold" className={holdsOnly ? 'active' : ''} data-testid="holds-queue">
            {t('orders.holdsQueue')}
          </Link>
        </nav>
      </div>
      <Form method="get" className="filters" data-testid="order-filters">
        <label className="field grow">
          <span>{t('orders.filters.search')}</span>
          <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder={t('orders.filters.searchHint')} />
        </label>
        <label className="field">
          <span>{t('orders.filters.status')}</span>
          <select name="status" defaultValue={filters.status?.[0] ?? ''}>
            <option value="">{t('common.all')}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`orderStatus.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('orders.filters.channel')}</span>
          <select name="channel" defaultValue={filters.channel ?? ''}>
            <option value="">{t('common.all')}</option>
            {channels.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('orders.filters.warehouse')}</span>
          <select name="warehouse" defaultValue={filters.warehouse ?? ''}>
            <option value="">{t('common.all')}</option>
            {warehouses.map((w) => (
              <option key={w.code} value={w.code}>
                {w.code}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('orders.filters.sku')}</span>
          <input name="sku" defaultValue={filters.sku ?? ''} size={10} maxLength={64} data-testid="filter-sku" />
        </label>
        <label className="field">
          <span>{t('orders.filters.from')}</span>
          <input type="date" name="from" defaultValue={filters.from ?? ''} />
        </label>
        <label className="field">
          <span>{t('orders.filters.to')}</span>
          <input type="date" name="to" defaultValue={filters.to ?? ''} />
        </label>
        <input type="hidden" name="sort" value={filters.sort} />
        <input type="hidden" name="dir" value={filters.dir} />
        {filters.late ? <input type="hidden" name="late" value="1" /> : null}
        {filters.paymentFailed ? <input type="hidden" name="paymentFailed" value={filters.paymentFailed} /> : null}
        {drills.map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <button type="submit">{t('common.filter')}</button>
      </Form>
      {filters.late || (filters.paymentFailed && filters.paymentFailed !== 'any') ? (
        <p className="notice info" data-testid="dashboard-filter">
          {filters.late ? t('orders.filters.lateOnly') : t('orders.filters.paymentFailedSince', { date: filters.paymentFailed })}{' '}
          <Link to={link({ late: null, paymentFailed: null, page: null, after: null, before: null })}>{t('orders.filters.clear')}</Link>
        </p>
      ) : null}
      {drills.length || filters.paymentFailed === 'any' ? (
        <div className="notice info" data-testid="report-filter">
          <span>{t('opsReports.drill.title')}</span>
          <ul>
            {filters.paymentFailed === 'any' ? <li>{t('opsReports.drill.paymentFailed')}</li> : null}
            {drills.map(([k, v]) => (
              <li key={k}>{drillText(k, v)}</li>
            ))}
          </ul>
          <Link to={link({ ...Object.fromEntries(DRILL_FILTERS.map((k) => [k, null])), paymentFailed: null, page: null, after: null, before: null })}>
            {t('orders.filters.clear')}
          </Link>
        </div>
      ) : null}

      {result?.bulk === 'pick' ? (
        <div className="notice warning" role="status" data-testid="bulk-result">
          {t('orders.bulk.pickNone')}
          <PickRefusals refused={result.refused ?? []} />
        </div>
      ) : result?.bulk ? (
        <Toast tone={result.failed?.length ? 'warning' : 'success'} testId="bulk-result">
          {t('orders.bulk.done', { count: result.done ?? 0, action: t(`orders.bulk.${result.bulk}`) })}
          {result.failed?.length ? <> {t('orders.bulk.failed', { count: result.failed.length })}</> : null}
        </Toast>
      ) : null}

      <Form method="post" onSubmit={() => setSelected(new Set())}>
        <CsrfInput />
        {canSelect ? (
          <div className="bulk-bar" data-testid="bulk-bar">
            <span className="muted">{t('orders.bulk.selected', { count: selected.size })}</span>
            {canManage
              ? BULK_ACTIONS.map((b) =>
                  b === 'cancel' ? (
                    <ConfirmSubmit
                      key={b}
                      name="bulk"
                      value={b}
                      label={t(`orders.bulk.${b}`)}
                      question={t('orders.bulk.confirmCancel', { count: selected.size })}
                      disabled={selected.size === 0 || navigation.state !== 'idle'}
                      testId="bulk-cancel"
                    />
                  ) : (
                    <button key={b} type="submit" name="bulk" value={b} disabled={selected.size === 0 || navigation.state !== 'idle'}>
                      {t(`orders.bulk.${b}`)}
                    </button>
                  ),
                )
              : null}
            {canPick ? (
              <button type="submit" name="bulk" value="pick" disabled={selected.size === 0 || navigation.state !== 'idle'} data-testid="bulk-pick">
                {t('orders.bulk.pick')}
              </button>
            ) : null}
          </div>
        ) : null}
        <p className="muted">{totalCapped ? t('orders.countCapped', { count: total }) : t('common.resultCount', { count: total })}</p>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="orders-table">
            <thead>
              <tr>
                {canSelect ? (
                  <th>
                    <input
                      type="checkbox"
                      aria-label={t('orders.bulk.selectPage')}
                      checked={allOnPage}
                      onChange={() => setSelected(allOnPage ? new Set() : new Set(rows.map((r) => r.id)))}
                    />
                  </th>
                ) : null}
                <SortHeader sort="number" label={t('orders.columns.number')} />
                <SortHeader sort="placed_at" label={t('orders.columns.placed')} />
                <th>{t('orders.columns.customer')}</th>
                <th>{t('orders.columns.channel')}</th>
                <SortHeader sort="status" label={t('orders.columns.status')} />
                <SortHeader sort="total" label={t('orders.columns.total')} className="num" />
                <th>{t('orders.columns.warehouse')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <tr key={o.id} data-testid="order-row">
                  {canSelect ? (
                    <td>
                      <input type="checkbox" name="ids" value={o.id} aria-label={o.number} checked={selected.has(o.id)} onChange={() => toggle(o.id)} />
                    </td>
                  ) : null}
                  <td>
                    <Link to={`/orders/${o.id}`}>{o.number}</Link>
                    <div className="muted small">{o.externalId}</div>
                  </td>
                  <td>
                    <DateTime value={o.placedAt} />
                  </td>
                  <td>
                    {o.customerName}
                    <div className="muted small">{o.customerEmail}</div>
                  </td>
                  <td>{o.channel}</td>
                  <td>
                    <StatusBadge status={o.status} />
                    {o.holdReasons.length ? <div className="muted small">{o.holdReasons.map((r) => t(`holdReasons.${r}`)).join(' · ')}</div> : null}
                  </td>
                  <td className="num">
                    <Money minor={o.total} currency={o.currency} />
                  </td>
                  <td>{o.warehouses.length ? o.warehouses.join(' + ') : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Form>
      {rows.length === 0 ? <p className="empty-state">{t('orders.none')}</p> : null}
      <Pager page={page} pages={totalCapped ? undefined : pages} cursors={{ next: nextCursor, prev: prevCursor }} />
    </>
  );
}
