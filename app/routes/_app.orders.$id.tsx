import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useRevalidator } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { routeId } from '../lib/ids.ts';
import { useLive } from '../lib/live.ts';
import { getOrder } from '../modules/orders/queries.server.ts';
import { pickListsOfOrder } from '../modules/fulfilment/queries.server.ts';
import { cancelOrder, holdOrder, releaseHold } from '../modules/orders/service.server.ts';
import { canTransition } from '../modules/orders/status.ts';
import type { OrderStatus } from '../../entities/constants.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime, Money, StatusBadge } from '../components/format.tsx';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'orders.view');
  const em = context.orm.em.fork();
  const order = await getOrder(em, params.id ?? '');
  if (!order) throw new Response(null, { status: 404 });
  const pickLists = await pickListsOfOrder(em, order.id);
  return {
    order,
    pickLists,
    canManage: can(user.role, 'orders.manage'),
    canViewCustomer: can(user.role, 'service.view'),
    canViewFulfilment: can(user.role, 'fulfilment.view'),
  };
}

const COMMANDS = { hold: holdOrder, release: releaseHold, cancel: cancelOrder } as const;
const Command = z.object({ command: z.enum(['hold', 'release', 'cancel']), reason: z.string().trim().max(500).optional() });

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'orders.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const id = routeId(params.id, 'order');
  const parsed = Command.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ error: { code: 'validation_failed' } }, { status: 422 });
  try {
    await COMMANDS[parsed.data.command](context.orm, id, userActor(user, context.ip), parsed.data.reason || undefined);
    return data({ error: null });
  } catch (e) {
    if (e instanceof DomainError) return data({ error: { code: e.code, params: e.params } }, { status: e.status });
    throw e;
  }
}

const ACTIONS: { command: keyof typeof COMMANDS; to: OrderStatus; danger?: boolean }[] = [
  { command: 'hold', to: 'on_hold' },
  { command: 'release', to: 'awaiting_payment' },
  { command: 'cancel', to: 'cancelled', danger: true },
];

export default function OrderDetail() {
  const { order, pickLists, canManage, canViewCustomer, canViewFulfilment } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { error: { code: string; params?: Record<string, string | number> } | null } | undefined;
  const { t } = useTranslation();
  const revalidator = useRevalidator();
  useLive('orders', (e) => {
    if (e.payload.orderId === order.id && revalidator.state === 'idle') revalidator.revalidate();
  });
  const actions = ACTIONS.filter((a) => canTransition(order.status as OrderStatus, a.to) && !(a.command === 'release' && order.status !== 'on_hold'));

  return (
    <>
      <p>
        <Link to="/orders">{t('orders.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">
          {order.number} <StatusBadge status={order.status} />
        </h1>
        {canManage && actions.length ? (
          <Form method="post" className="inline-actions" data-testid="order-actions">
            <CsrfInput />
            <input name="reason" placeholder={t('orders.reasonHint')} aria-label={t('orders.reason')} />
            {actions.map((a) => (
              <button key={a.command} type="submit" name="command" value={a.command} className={a.danger ? 'danger' : ''}>
                {t(`orders.bulk.${a.command}`)}
              </button>
            ))}
          </Form>
        ) : null}
      </div>
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}
      {order.holdReasons.length ? (
        <div className="notice warning">
          {t('orders.heldBecause')}: {order.holdReasons.map((r) => t(`holdReasons.${r}`)).join(' · ')}
        </div>
      ) : null}

      <div className="grid-2">
        <section className="card">
          <h2>{t('orders.detail.summary')}</h2>
          <dl className="facts">
            <dt>{t('orders.columns.channel')}</dt>
            <dd>
              {order.channel.name} · {order.externalId}
            </dd>
            <dt>{t('orders.columns.placed')}</dt>
            <dd>
              <DateTime value={order.placedAt} />
            </dd>
            <dt>{t('orders.detail.promisedBy')}</dt>
            <dd>{order.promisedBy ? <DateTime value={order.promisedBy} /> : '—'}</dd>
            <dt>{t('orders.columns.customer')}</dt>
            <dd>
              {canViewCustomer ? (
                <Link to={`/customers/${order.customer.id}`} data-testid="order-customer">
                  {order.customer.name}
                </Link>
              ) : (
                order.customer.name
              )}{' '}
              · {order.customer.email} · {t(`tiers.${order.customer.tier}`)}
            </dd>
            <dt>{t('orders.detail.payment')}</dt>
            <dd>{order.paymentMethod}</dd>
            <dt>{t('orders.detail.delivery')}</dt>
            <dd>{t(`deliveryMethods.${order.deliveryMethod}`)}</dd>
            <dt>{t('orders.detail.shipTo')}</dt>
            <dd>
              {[
                order.shippingAddress.name,
                order.shippingAddress.line1,
                order.shippingAddress.line2,
                order.shippingAddress.city,
                order.shippingAddress.postalCode,
                order.shippingAddress.country,
              ]
                .filter(Boolean)
                .join(', ')}
            </dd>
            <dt>{t('orders.columns.warehouse')}</dt>
            <dd>{order.warehouse ?? '—'}</dd>
          </dl>
        </section>
        <section className="card">
          <h2>{t('orders.detail.totals')}</h2>
          <dl className="facts totals">
            <dt>{t('orders.detail.subtotal')}</dt>
            <dd>
              <Money minor={order.totals.subtotal} currency={order.currency} />
            </dd>
            <dt>{t('orders.detail.shipping')}</dt>
            <dd>
              <Money minor={order.totals.shipping} currency={order.currency} />
            </dd>
            {order.totals.discount ? (
              <>
                <dt>{t('orders.detail.discount')}</dt>
                <dd>
                  −<Money minor={order.totals.discount} currency={order.currency} />
                </dd>
              </>
            ) : null}
            <dt>{order.totals.taxIncluded ? t('orders.detail.taxIncluded') : t('orders.detail.tax')}</dt>
            <dd>
              <Money minor={order.totals.tax} currency={order.currency} />
            </dd>
            <dt>{t('orders.columns.total')}</dt>
            <dd className="strong">
              <Money minor={order.totals.total} currency={order.currency} />
            </dd>
          </dl>
        </section>
      </div>

      <section className="card">
        <h2>{t('orders.detail.lines')}</h2>
        <div className="table-wrap">
          <table className="data-table" data-testid="order-lines">
            <thead>
              <tr>
                <th>{t('inventory.columns.sku')}</th>
                <th>{t('inventory.columns.product')}</th>
                <th className="num">{t('orders.detail.quantity')}</th>
                <th className="num">{t('orders.detail.unitPrice')}</th>
                <th className="num">{t('orders.columns.total')}</th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((l) => (
                <tr key={l.id}>
                  <td>
                    <code>{l.sku}</code>
                  </td>
                  <td>{l.name}</td>
                  <td className="num">{l.quantity}</td>
                  <td className="num">
                    <Money minor={l.unitPrice} currency={order.currency} />
                  </td>
                  <td className="num">
                    <Money minor={l.total} currency={order.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="grid-2">
        <section className="card">
          <h2>{t('orders.detail.reservations')}</h2>
          {order.reservations.length ? (
            <table className="data-table" data-testid="order-reservations">
              <thead>
                <tr>
                  <th>{t('inventory.columns.sku')}</th>
                  <th>{t('orders.columns.warehouse')}</th>
                  <th className="num">{t('orders.detail.quantity')}</th>
                  <th>{t('orders.columns.status')}</th>
                </tr>
              </thead>
              <tbody>
                {order.reservations.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <code>{r.sku}</code>
                    </td>
                    <td>{r.warehouse}</td>
                    <td className="num">{r.quantity}</td>
                    <td>{t(`reservationStatus.${r.status}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('orders.detail.noReservations')}</p>
          )}
        </section>
        <section className="card">
          <h2>{t('orders.detail.payments')}</h2>
          {order.payments.length ? (
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('orders.detail.provider')}</th>
                  <th>{t('orders.columns.status')}</th>
                  <th className="num">{t('orders.detail.captured')}</th>
                  <th className="num">{t('orders.detail.refunded')}</th>
                </tr>
              </thead>
              <tbody>
                {order.payments.map((p) => (
                  <tr key={p.id}>
                    <td>
                      {p.provider}
                      {p.cardLast4 ? ` ···· ${p.cardLast4}` : ''}
                    </td>
                    <td>{p.status}</td>
                    <td className="num">
                      <Money minor={p.captured} currency={p.currency} />
                    </td>
                    <td className="num">
                      <Money minor={p.refunded} currency={p.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('orders.detail.noPayments')}</p>
          )}
        </section>
      </div>

      {pickLists.length ? (
        <section className="card">
          <h2>{t('orders.detail.pickLists')}</h2>
          <table className="data-table" data-testid="order-pick-lists">
            <thead>
              <tr>
                <th>{t('fulfilment.list')}</th>
                <th>{t('orders.columns.warehouse')}</th>
                <th>{t('fulfilment.method')}</th>
                <th>{t('orders.columns.status')}</th>
                <th className="num">{t('fulfilment.progress')}</th>
              </tr>
            </thead>
            <tbody>
              {pickLists.map((l) => (
                <tr key={l.id} data-warehouse={l.warehouse}>
                  <td>{canViewFulfilment ? <Link to={`/fulfilment/pick-lists/${l.id}`}>{l.number}</Link> : l.number}</td>
                  <td>{l.warehouse}</td>
                  <td>
                    {t(`fulfilment.methods.${l.method}`)}
                    {l.zone ? ` · ${t('fulfilment.zone', { zone: l.zone })}` : ''}
                  </td>
                  <td>{t(`pickStatus.${l.status}`)}</td>
                  <td className="num">
                    {l.picked} / {l.units}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      <section className="card">
        <h2>{t('orders.detail.timeline')}</h2>
        {order.timeline.length ? null : <p className="muted">{t('orders.detail.noTimeline')}</p>}
        <ol className="timeline" data-testid="order-timeline">
          {order.timeline.map((e) => (
            <li key={e.id}>
              <DateTime value={e.at} /> · <strong>{t(`timeline.${e.action}`, { defaultValue: e.action })}</strong>
              {e.after && typeof e.after === 'object' && 'status' in e.after ? (
                <>
                  {' '}
                  → <StatusBadge status={String((e.after as { status: string }).status)} />
                </>
              ) : null}
              <span className="muted"> · {e.actor}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
