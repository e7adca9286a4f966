import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { routeId } from '../lib/ids.ts';
import type { FieldError } from '../lib/problem.ts';
import {
  CANCELLABLE,
  cancelPurchaseOrder,
  getPurchaseOrder,
  qtyField,
  RECEIVABLE,
  receivePurchaseOrder,
  type Receipt,
} from '../modules/purchasing/screens.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { DateOnly, DateTime, Money } from '../components/format.tsx';
import { PoStatusBadge } from '../components/po-status.tsx';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'inventory.view');
  const po = await getPurchaseOrder(context.orm.em.fork(), routeId(params.id, 'purchase order'));
  if (!po) throw new Response(null, { status: 404 });
  const manage = can(user.role, 'inventory.manage');
  return {
    po,
    fields: Object.fromEntries(po.lines.map((l) => [l.id, qtyField(l.id)])),
    canReceive: manage && RECEIVABLE.includes(po.status),
    canCancel: manage && CANCELLABLE.includes(po.status),
  };
}

type ActionData = {
  received?: Pick<Receipt, 'status' | 'received' | 'signalled'>;
  cancelled?: { supplierNotified: boolean; to: string | null };
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'inventory.manage');
  const id = routeId(params.id, 'purchase order');
  const form = await request.formData();
  assertCsrf(request, form);
  const input = Object.fromEntries(form);
  try {
    if (input.intent === 'receive') {
      const r = await receivePurchaseOrder(context.orm, id, input, userActor(user, context.ip));
      return data<ActionData>({ received: { status: r.status, received: r.received, signalled: r.signalled } });
    }
    if (input.intent === 'cancel') {
      const r = await cancelPurchaseOrder(context.orm, id, input, userActor(user, context.ip));
      return data<ActionData>({ cancelled: { supplierNotified: r.supplierNotified, to: r.to } });
    }
    return data<ActionData>({ error: { code: 'unknown_intent' } }, { status: 422 });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { errors: e.errors } : { error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function PurchaseOrderPage() {
  const { po, fields, canReceive, canCancel } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const { t } = useTranslation();
  // Another person (or the Reorder flow) moving this PO: the page follows.
  useLiveRevalidate('inventory', (e) => e.type === 'po.updated' && e.payload.purchaseOrderId === po.id, 500);
  const err = (f: string) => result?.errors?.find((e) => e.field === f);
  const errorParams = (p?: Record<string, string | number>) =>
    p && typeof p.status === 'string' ? { ...p, status: t(`purchasing.status.${p.status}`) } : (p ?? {});
  const ordered = po.lines.reduce((n, l) => n + l.quantity, 0);
  const received = po.lines.reduce((n, l) => n + l.received, 0);

  return (
    <>
      <p className="muted small">
        <Link to="/purchasing">{t('purchasing.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">
          {t('purchasing.detail.title', { number: po.number })}
          <PoStatusBadge status={po.status} />
        </h1>
      </div>

      {result?.received ? (
        <Toast testId="po-received">
          {t(result.received.status === 'received' ? 'purchasing.receive.doneFull' : 'purchasing.receive.donePartial', {
            count: result.received.received.reduce((n, r) => n + r.quantity, 0),
          })}
          {result.received.signalled.length ? ` ${t('purchasing.receive.signalled', { count: result.received.signalled.length })}` : null}
        </Toast>
      ) : null}
      {result?.cancelled ? (
        <Toast testId="po-cancelled">
          {result.cancelled.supplierNotified ? t('purchasing.cancel.doneNotified', { to: result.cancelled.to }) : t('purchasing.cancel.done')}
        </Toast>
      ) : null}
      {result?.error ? (
        <p className="form-error" role="alert" data-code={result.error.code}>
          {t([`purchasing.errors.${result.error.code}`, `errors.${result.error.code}`], errorParams(result.error.params))}
        </p>
      ) : null}

      <div className="grid-2">
        <section className="card">
          <h2>{t('purchasing.detail.summary')}</h2>
          <dl className="facts">
            <dt>{t('purchasing.columns.supplier')}</dt>
            <dd>
              {po.supplier.name} (<code>{po.supplier.code}</code>)
            </dd>
            <dt>{t('purchasing.suppliers.email')}</dt>
            <dd>{po.supplier.email ? <a href={`mailto:${po.supplier.email}`}>{po.supplier.email}</a> : t('purchasing.detail.noEmail')}</dd>
            <dt>{t('purchasing.columns.warehouse')}</dt>
            <dd>
              {po.warehouse.code} · {po.warehouse.name}
            </dd>
            <dt>{t('purchasing.detail.currency')}</dt>
            <dd>{po.currency}</dd>
            <dt>{t('purchasing.columns.expected')}</dt>
            <dd>{po.expectedAt ? <DateOnly value={po.expectedAt} /> : '—'}</dd>
            <dt>{t('purchasing.columns.created')}</dt>
            <dd>
              <DateTime value={po.createdAt} />
              {po.createdBy ? ` · ${po.createdBy}` : null}
            </dd>
            <dt>{t('purchasing.detail.progress')}</dt>
            <dd>{t('purchasing.detail.progressValue', { received, ordered })}</dd>
            {po.runs.length ? (
              <>
                <dt>{t('purchasing.detail.runs')}</dt>
                <dd>
                  {po.runs.map((w) => (
                    <Link key={w} to={`/workflows/runs/${encodeURIComponent(w)}`}>
                      <code>{w}</code>
                    </Link>
                  ))}
                </dd>
              </>
            ) : null}
          </dl>
        </section>

        <section className="card">
          <h2>{t('purchasing.detail.history')}</h2>
          {po.history.length === 0 ? (
            <p className="muted">{t('purchasing.detail.noHistory')}</p>
          ) : (
            <ol className="po-history" data-testid="po-history">
              {po.history.map((h) => (
                <li key={h.id}>
                  <DateTime value={h.at} /> {h.to ? <PoStatusBadge status={h.to} /> : <code>{h.action}</code>}{' '}
                  {h.actor ? <span className="muted">{t('purchasing.detail.by', { actor: h.actor })}</span> : null}
                  {h.reason ? <div className="muted small">{h.reason}</div> : null}
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>

      <section className="card">
        <h2>{t('purchasing.detail.lines')}</h2>
        <Form method="post" data-testid="receive-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="receive" />
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table" data-testid="po-lines">
              <thead>
                <tr>
                  <th>{t('purchasing.lines.sku')}</th>
                  <th>{t('purchasing.lines.name')}</th>
                  <th className="num">{t('purchasing.lines.unitCost')}</th>
                  <th className="num">{t('purchasing.lines.ordered')}</th>
                  <th className="num">{t('purchasing.lines.received')}</th>
                  <th className="num">{t('purchasing.lines.remaining')}</th>
                  {canReceive ? <th className="num">{t('purchasing.lines.receiveNow')}</th> : null}
                </tr>
              </thead>
              <tbody>
                {po.lines.map((l) => (
                  <tr key={l.id}>
                    <td>
                      <code>{l.sku}</code>
                    </td>
                    <td>{l.name}</td>
                    <td className="num">
                      <Money minor={l.unitCostMinor} currency={po.currency} />
                    </td>
                    <td className="num">{l.quantity}</td>
                    <td className="num">{l.received}</td>
                    <td className="num strong">{l.remaining}</td>
                    {canReceive ? (
                      <td className="num">
                        <label className="field">
                          <span className="visually-hidden">{t('purchasing.lines.receiveFor', { sku: l.sku })}</span>
                          <input
                            key={`${l.id}-${l.remaining}`}
                            name={fields[l.id]}
                            type="number"
                            min={0}
                            max={l.remaining}
                            step={1}
                            defaultValue={l.remaining}
                            disabled={l.remaining === 0}
                            aria-invalid={err(fields[l.id]) ? true : undefined}
                          />
                          <FieldErrorText error={err(fields[l.id])} />
                        </label>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <FieldErrorText error={err('lines')} />
          {canReceive ? (
            <p>
              <button type="submit" className="primary" disabled={busy}>
                {t('purchasing.receive.submit')}
              </button>{' '}
              <span className="muted small">{t('purchasing.receive.hint')}</span>
            </p>
          ) : null}
        </Form>
      </section>

      {canCancel ? (
        <details className="card" open={!!err('reason')}>
          <summary>{t('purchasing.cancel.title')}</summary>
          <Form method="post" className="filters" data-testid="cancel-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="cancel" />
            <label className="field grow">
              <span>{t('purchasing.cancel.reason')}</span>
              <input name="reason" maxLength={500} />
              <FieldErrorText error={err('reason')} />
            </label>
            <button type="submit" className="danger" disabled={busy}>
              {t('purchasing.cancel.submit')}
            </button>
          </Form>
          <p className="muted small">{t(po.status === 'sent' ? 'purchasing.cancel.hintSent' : 'purchasing.cancel.hint')}</p>
        </details>
      ) : null}
    </>
  );
}
