import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { RETURN_REASONS } from '../../entities/constants.ts';
import type { FieldError } from '../lib/problem.ts';
import { currencyExponent } from '../lib/money.ts';
import { exchangeOptions, requestSelfServiceReturn, returnableLines, returnsOfOrder, returnWindowOpen } from '../modules/returns/service.server.ts';
import type { ExchangeOption } from '../modules/returns/service.server.ts';
import { refundOrder } from '../modules/payments/service.server.ts';
import { REFUND_REASONS } from '../modules/payments/refund-reasons.ts';
import { FieldErrorText } from '../components/field-error.tsx';
import { ReturnLine } from '../components/return-line.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { routeId } from '../lib/ids.ts';
import { useLive, useStickyActionData } from '../lib/live.ts';
import { getOrder } from '../modules/orders/queries.server.ts';
import { pickListsOfOrder } from '../modules/fulfilment/queries.server.ts';
import { cancelOrder, holdOrder, releaseHold } from '../modules/orders/service.server.ts';
import { canTransition } from '../modules/orders/status.ts';
import type { OrderStatus } from '../../entities/constants.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { ConfirmSubmit, Toast } from '../components/confirm-submit.tsx';
import { DateTime, Money, StatusBadge } from '../components/format.tsx';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'orders.view');
  const em = context.orm.em.fork();
  const order = await getOrder(em, params.id ?? '');
  if (!order) throw new Response(null, { status: 404 });
  const canManage = can(user.role, 'orders.manage');
  const [pickLists, returns, lines, windowOpen] = await Promise.all([
    pickListsOfOrder(em, order.id),
    returnsOfOrder(em, order.id),
    returnableLines(em, order.id),
    returnWindowOpen(em, order.id),
  ]);
  const returnable = windowOpen ? lines.filter((l) => l.returnable > 0) : [];
  const refundable = order.payments.reduce((n, p) => n + p.captured - p.refunded, 0);
  return {
    order,
    pickLists,
    returns,
    returnable,
    // What each returnable product could be exchanged for (only when the form shows).
    replacements:
      canManage && returnable.length
        ? await exchangeOptions(
            em,
            returnable.map((l) => l.sku),
          )
        : {},
    refundable,
    exponent: currencyExponent(order.currency),
    /** A new one per page view: posting the same refund form twice refunds once. */
    nonce: crypto.randomUUID(),
    canManage,
    canViewCustomer: can(user.role, 'service.view'),
    canViewFulfilment: can(user.role, 'fulfilment.view'),
  };
}

const COMMANDS = { hold: holdOrder, release: releaseHold, cancel: cancelOrder } as const;
const Command = z.object({ command: z.enum(['hold', 'release', 'cancel']), reason: z.string().trim().max(500).optional() });

type Intent = 'return' | 'refund';
type ActionData = {
  intent?: Intent;
  error?: { code: string; params?: Record<string, string | number> } | null;
  errors?: FieldError[];
  created?: string[];
  refunded?: { amount: number; currency: string };
};

/** The return form: one entry per line in each list, in the order of the lines. */
function returnInput(form: FormData) {
  const [skus, quantities, resolutions, replacements] = ['sku', 'quantity', 'resolution', 'replacementSku'].map((f) => form.getAll(f).map(String));
  return {
    reason: form.get('reason') || undefined,
    comment: form.get('comment') || undefined,
    lines: skus.map((sku, i) => ({
      sku,
      quantity: quantities[i] || '0',
      resolution: resolutions[i] || undefined,
      replacementSku: replacements[i] || undefined,
    })),
  };
}

/** Return / exchange and refund from the order page: the modules check everything; this only reads the form. */
async function orderAction(intent: Intent, form: FormData, context: ActionFunctionArgs['context'], id: number, actor: ReturnType<typeof userActor>) {
  try {
    if (intent === 'return') {
      const rmas = await requestSelfServiceReturn(context.orm, id, returnInput(form), actor, 'console');
      return data<ActionData>({ intent, created: rmas.map((r) => r.number) });
    }
    const r = await refundOrder(
      context.orm,
      id,
      { amount: String(form.get('amount') ?? ''), reason: form.get('reason') || undefined, note: form.get('note') || undefined, nonce: form.get('nonce') },
      actor,
    );
    return data<ActionData>({ intent, refunded: { amount: r.amount, currency: r.currency } });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { intent, errors: e.errors } : { intent, error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'orders.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const id = routeId(params.id, 'order');
  const intent = form.get('intent');
  if (intent === 'return' || intent === 'refund') return orderAction(intent, form, context, id, userActor(user, context.ip));
  const parsed = Command.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
  try {
    await COMMANDS[parsed.data.command](context.orm, id, userActor(user, context.ip), parsed.data.reason || undefined);
    return data<ActionData>({ error: null });
  } catch (e) {
    if (e instanceof DomainError) return data<ActionData>({ error: { code: e.code, params: e.params } }, { status: e.status });
    throw e;
  }
}

const ACTIONS: { command: keyof typeof COMMANDS; to: OrderStatus; danger?: boolean }[] = [
  { command: 'hold', to: 'on_hold' },
  { command: 'release', to: 'awaiting_payment' },
  { command: 'cancel', to: 'cancelled', danger: true },
];

export default function OrderDetail() {
  const { order, pickLists, returns, returnable, replacements, refundable, exponent, nonce, canManage, canViewCustomer, canViewFulfilment } =
    useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const commandResult = result?.intent ? undefined : result;
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
            {actions.map((a) =>
              a.danger ? (
                <ConfirmSubmit
                  key={a.command}
                  name="command"
                  value={a.command}
                  label={t(`orders.bulk.${a.command}`)}
                  question={t('orders.confirmCancel')}
                  testId={`order-${a.command}`}
                />
              ) : (
                <button key={a.command} type="submit" name="command" value={a.command}>
                  {t(`orders.bulk.${a.command}`)}
                </button>
              ),
            )}
          </Form>
        ) : null}
      </div>
      {commandResult?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${commandResult.error.code}`, commandResult.error.params)}
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
            <dd>{t(`paymentMethods.${order.paymentMethod}`, { defaultValue: order.paymentMethod })}</dd>
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
        <div className="table-wrap" tabIndex={0}>
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
            <div className="table-wrap" tabIndex={0}>
              <table className="data-table" data-testid="order-payments">
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
                    <tr key={p.id} data-payment={p.id}>
                      <td>
                        {t(`paymentMethods.${p.method}`, { defaultValue: p.method })}
                        <span className="muted"> · {t(`paymentProviders.${p.provider}`, { defaultValue: p.provider })}</span>
                        {p.cardLast4 ? ` ···· ${p.cardLast4}` : ''}
                      </td>
                      <td>
                        <span className={`badge payment-${p.status}`} data-status={p.status}>
                          {t(`paymentStatus.${p.status}`)}
                        </span>
                      </td>
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
            </div>
          ) : (
            <p className="muted">{t('orders.detail.noPayments')}</p>
          )}
        </section>
      </div>

      <ReturnsSection returns={returns} />
      {canManage ? (
        <div className="grid-2">
          <ReturnForm lines={returnable} replacements={replacements} result={result?.intent === 'return' ? result : undefined} />
          <RefundForm
            refundable={refundable}
            currency={order.currency}
            exponent={exponent}
            nonce={nonce}
            result={result?.intent === 'refund' ? result : undefined}
          />
        </div>
      ) : null}

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
              <DateTime value={e.at} /> ·{' '}
              <strong>{t([`timeline.${e.action}`, `orderActions.timeline.${e.action}`, `macros.timeline.${e.action}`], { defaultValue: e.action })}</strong>
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

type Rma = ReturnType<typeof useLoaderData<typeof loader>>['returns'][number];

function ReturnsSection({ returns }: { returns: Rma[] }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <h2>{t('orderActions.returns.title')}</h2>
      {returns.length ? (
        <table className="data-table" data-testid="order-rmas">
          <thead>
            <tr>
              <th>{t('orderActions.returns.number')}</th>
              <th>{t('orders.columns.status')}</th>
              <th>{t('orderActions.returns.resolution')}</th>
              <th>{t('orderActions.returns.reason')}</th>
              <th>{t('orderActions.returns.lines')}</th>
              <th>{t('orderActions.returns.opened')}</th>
            </tr>
          </thead>
          <tbody>
            {returns.map((r) => (
              <tr key={r.id} data-rma={r.number}>
                <td>{r.number}</td>
                <td>
                  <span className={`badge status-${r.status}`} data-status={r.status}>
                    {t(`returnStatus.${r.status}`)}
                  </span>
                </td>
                <td>{t(`orderActions.resolutions.${r.resolution}`)}</td>
                <td>{t(`returnReasons.${r.reason}`)}</td>
                <td>
                  {r.lines
                    .map((l) =>
                      l.replacementSku
                        ? t('orderActions.returns.lineExchange', { quantity: l.quantity, sku: l.sku, replacement: l.replacementSku })
                        : t('orderActions.returns.line', { quantity: l.quantity, sku: l.sku }),
                    )
                    .join(' · ')}
                </td>
                <td>
                  <DateTime value={r.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{t('orderActions.returns.none')}</p>
      )}
    </section>
  );
}

/** Errors of fields a form shows no input for (the order itself, the list of lines). */
function OtherErrors({ result, shown }: { result?: ActionData; shown: (field: string) => boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {(result?.errors ?? [])
        .filter((e) => !shown(e.field))
        .map((e) => (
          <p key={e.field + e.code} className="form-error" role="alert" data-field={e.field}>
            {t(e.messageKey, e.params)}
          </p>
        ))}
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}
    </>
  );
}

const ORDER_RETURN_KEYS = {
  quantityOf: 'orderActions.return.quantityOf',
  resolutionOf: 'orderActions.return.resolutionOf',
  refund: 'orderActions.resolutions.refund',
  exchange: 'orderActions.resolutions.exchange',
  sameItem: 'orderActions.return.sameItem',
  replacementOf: 'orderActions.return.replacementOf',
};

function ReturnForm({
  lines,
  replacements,
  result,
}: {
  lines: { sku: string; name: string; returnable: number }[];
  replacements: Record<string, ExchangeOption[]>;
  result?: ActionData;
}) {
  const { t } = useTranslation();
  const errors = result?.errors ?? [];
  return (
    <section className="card">
      <h2>{t('orderActions.return.title')}</h2>
      {result?.created ? (
        <Toast testId="order-return-created">{t('orderActions.return.created', { count: result.created.length, rmas: result.created.join(', ') })}</Toast>
      ) : null}
      {lines.length ? (
        <Form method="post" data-testid="order-return-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="return" />
          <table className="data-table">
            <thead>
              <tr>
                <th>{t('inventory.columns.product')}</th>
                <th className="num">{t('orderActions.return.quantity')}</th>
                <th>{t('orderActions.return.resolution')}</th>
                <th>{t('orderActions.return.replacement')}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => (
                <ReturnLine
                  keys={ORDER_RETURN_KEYS}
                  listId="order-replacements"
                  key={l.sku}
                  line={l}
                  index={i}
                  options={replacements[l.sku] ?? []}
                  errors={errors}
                />
              ))}
            </tbody>
          </table>
          <div className="form-grid">
            <label className="field">
              <span>{t('orderActions.return.reason')}</span>
              <select name="reason" required defaultValue="">
                <option value="" disabled>
                  {t('orderActions.choose')}
                </option>
                {RETURN_REASONS.map((r) => (
                  <option key={r} value={r}>
                    {t(`returnReasons.${r}`)}
                  </option>
                ))}
              </select>
              <FieldErrorText error={errors.find((e) => e.field === 'reason')} />
            </label>
            <label className="field">
              <span>{t('orderActions.return.comment')}</span>
              <input name="comment" maxLength={1000} />
              <FieldErrorText error={errors.find((e) => e.field === 'comment')} />
            </label>
          </div>
          <OtherErrors result={result} shown={(f) => f.startsWith('lines.') || f === 'reason' || f === 'comment'} />
          <button type="submit" className="primary">
            {t('orderActions.return.submit')}
          </button>
        </Form>
      ) : (
        <>
          <OtherErrors result={result} shown={() => false} />
          <p className="muted">{t('orderActions.return.nothing')}</p>
        </>
      )}
    </section>
  );
}

function RefundForm({
  refundable,
  currency,
  exponent,
  nonce,
  result,
}: {
  refundable: number;
  currency: string;
  exponent: number;
  nonce: string;
  result?: ActionData;
}) {
  const { t } = useTranslation();
  const errors = result?.errors ?? [];
  return (
    <section className="card">
      <h2>{t('orderActions.refund.title')}</h2>
      {result?.refunded ? (
        <Toast testId="order-refunded">
          {t('orderActions.refund.done')} <Money minor={result.refunded.amount} currency={result.refunded.currency} />
        </Toast>
      ) : null}
      <p className="muted">
        {t('orderActions.refund.refundable')} <Money minor={refundable} currency={currency} />
      </p>
      {refundable > 0 ? (
        <Form method="post" data-testid="order-refund-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="refund" />
          <input type="hidden" name="nonce" value={nonce} />
          <div className="form-grid">
            <label className="field">
              <span>{t('orderActions.refund.amount', { currency })}</span>
              <input name="amount" inputMode="decimal" required placeholder={(0).toFixed(exponent)} />
              <FieldErrorText error={errors.find((e) => e.field === 'amount')} />
            </label>
            <label className="field">
              <span>{t('orderActions.refund.reason')}</span>
              <select name="reason" required defaultValue="">
                <option value="" disabled>
                  {t('orderActions.choose')}
                </option>
                {REFUND_REASONS.map((r) => (
                  <option key={r} value={r}>
                    {t(`orderActions.refundReasons.${r}`)}
                  </option>
                ))}
              </select>
              <FieldErrorText error={errors.find((e) => e.field === 'reason')} />
            </label>
            <label className="field">
              <span>{t('orderActions.refund.note')}</span>
              <input name="note" maxLength={500} />
              <FieldErrorText error={errors.find((e) => e.field === 'note')} />
            </label>
          </div>
          <OtherErrors result={result} shown={(f) => ['amount', 'reason', 'note'].includes(f)} />
          <button type="submit" className="primary">
            {t('orderActions.refund.submit')}
          </button>
        </Form>
      ) : (
        <OtherErrors result={result} shown={() => false} />
      )}
    </section>
  );
}
