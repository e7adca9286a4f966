import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { PICK_METHODS, type PickMethod } from '../../entities/constants.ts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { formId } from '../lib/ids.ts';
import { useLive, useStickyActionData } from '../lib/live.ts';
import { createPickLists, packOrder, recordTrackingEvent, shipOrder } from '../modules/fulfilment/service.server.ts';
import { openPickLists, readyToPackOrShip, recentShipments } from '../modules/fulfilment/queries.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'fulfilment.view');
  const em = context.orm.em.fork();
  const [lists, ready, shipments, warehouses] = await Promise.all([
    openPickLists(em),
    readyToPackOrShip(em),
    recentShipments(em, { limit: 30 }),
    em.execute<{ code: string; name: string; pickMethod: PickMethod; pickBatchSize: number }[]>(
      'select code, name, pick_method as "pickMethod", pick_batch_size as "pickBatchSize" from warehouse where active order by code',
    ),
  ]);
  return { lists, ready, shipments, warehouses, canManage: can(user.role, 'fulfilment.manage') };
}

type ActionData = { ok?: string; params?: Record<string, string | number>; error?: { code: string; params?: Record<string, string | number> } };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'fulfilment.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const actor = userActor(user, context.ip);
  try {
    switch (form.get('intent')) {
      case 'pick-lists': {
        const lists = await createPickLists(
          context.orm,
          { warehouse: form.get('warehouse'), method: form.get('method'), size: form.get('size') || undefined },
          actor,
        );
        return data<ActionData>({ ok: 'fulfilment.created', params: { count: lists.length } });
      }
      case 'pack':
        await packOrder(context.orm, formId(form.get('orderId'), 'orderId'), actor);
        return data<ActionData>({ ok: 'fulfilment.packed' });
      case 'ship': {
        const r = await shipOrder(context.orm, formId(form.get('orderId'), 'orderId'), actor);
        return data<ActionData>({ ok: 'fulfilment.shippedWith', params: { number: r.number, tracking: r.shipments.map((s) => s.trackingNumber).join(', ') } });
      }
      case 'event': {
        await recordTrackingEvent(
          context.orm,
          String(form.get('shipmentId')),
          { status: form.get('status'), location: form.get('location') || undefined },
          'console',
          actor,
        );
        return data<ActionData>({ ok: 'fulfilment.eventRecorded' });
      }
      default:
        return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
    }
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

const MANUAL_EVENTS = ['in_transit', 'out_for_delivery', 'delivered', 'exception'] as const;

export default function Fulfilment() {
  const { lists, ready, shipments, warehouses, canManage } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const revalidator = useRevalidator();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The method and batch size start at the chosen warehouse's own (Settings → Warehouses).
  const [pickFrom, setPickFrom] = useState(warehouses[0]?.code ?? '');
  const chosen = warehouses.find((w) => w.code === pickFrom) ?? warehouses[0];
  useLive('fulfilment', () => {
    pending.current ??= setTimeout(() => {
      pending.current = null;
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 1500);
  });

  return (
    <>
      <h1 className="page-title">{t('nav.fulfilment')}</h1>
      {result?.ok ? <Toast testId="fulfilment-result">{t(result.ok, result.params)}</Toast> : null}
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}

      {canManage ? (
        <section className="card">
          <h2>{t('fulfilment.createTitle')}</h2>
          <Form method="post" className="filters plain" data-testid="pick-list-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="pick-lists" />
            <label className="field">
              <span>{t('inventory.columns.warehouse')}</span>
              <select name="warehouse" value={chosen?.code} onChange={(e) => setPickFrom(e.target.value)}>
                {warehouses.map((w) => (
                  <option key={w.code} value={w.code}>
                    {w.code} · {w.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('fulfilment.method')}</span>
              <select name="method" key={`m-${chosen?.code}`} defaultValue={chosen?.pickMethod} data-default={chosen?.pickMethod}>
                {PICK_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {m === chosen?.pickMethod ? t('fulfilment.methodDefault', { method: t(`fulfilment.methods.${m}`) }) : t(`fulfilment.methods.${m}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('fulfilment.size')}</span>
              <input name="size" type="number" min={1} max={100} key={`s-${chosen?.code}`} defaultValue={chosen?.pickBatchSize ?? 10} />
            </label>
            <button type="submit" className="primary">
              {t('fulfilment.create')}
            </button>
          </Form>
        </section>
      ) : null}

      <section className="card">
        <h2>{t('fulfilment.openLists')}</h2>
        {lists.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table" data-testid="pick-lists">
              <thead>
                <tr>
                  <th>{t('fulfilment.list')}</th>
                  <th>{t('inventory.columns.warehouse')}</th>
                  <th>{t('fulfilment.method')}</th>
                  <th className="num">{t('fulfilment.orders')}</th>
                  <th className="num">{t('fulfilment.progress')}</th>
                  <th>{t('orders.columns.placed')}</th>
                </tr>
              </thead>
              <tbody>
                {lists.map((l) => (
                  <tr key={l.id}>
                    <td>
                      <Link to={`/fulfilment/pick-lists/${l.id}`}>{l.number}</Link>
                    </td>
                    <td>{l.warehouse}</td>
                    <td>
                      {t(`fulfilment.methods.${l.method}`)}
                      {l.zone ? ` · ${t('fulfilment.zone', { zone: l.zone })}` : ''}
                    </td>
                    <td className="num">{l.orders}</td>
                    <td className="num">
                      <progress max={l.units} value={l.picked} /> {l.picked}/{l.units}
                    </td>
                    <td>
                      <DateTime value={l.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('fulfilment.noLists')}</p>
        )}
      </section>

      <section className="card">
        <h2>{t('fulfilment.readyTitle')}</h2>
        {ready.length ? (
          <table className="data-table" data-testid="ready-orders">
            <tbody>
              {ready.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link to={`/orders/${o.id}`}>{o.number}</Link>
                  </td>
                  <td>{t(`orderStatus.${o.status}`)}</td>
                  <td>
                    {t(`deliveryMethods.${o.deliveryMethod}`)} · {o.country}
                  </td>
                  <td>
                    {canManage ? (
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="orderId" value={o.id} />
                        {o.status === 'picking' ? (
                          <button type="submit" name="intent" value="pack">
                            {t('fulfilment.pack')}
                          </button>
                        ) : (
                          <button type="submit" name="intent" value="ship" className="primary">
                            {t('fulfilment.ship')}
                          </button>
                        )}
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">{t('fulfilment.nothingReady')}</p>
        )}
      </section>

      <section className="card">
        <h2>{t('fulfilment.shipments')}</h2>
        {shipments.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table" data-testid="shipments">
              <thead>
                <tr>
                  <th>{t('fulfilment.tracking')}</th>
                  <th>{t('orders.columns.number')}</th>
                  <th>{t('fulfilment.carrier')}</th>
                  <th>{t('orders.columns.status')}</th>
                  <th>{t('fulfilment.lastEvent')}</th>
                  {canManage ? <th /> : null}
                </tr>
              </thead>
              <tbody>
                {shipments.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <a href={s.trackingUrl} target="_blank" rel="noreferrer">
                        <code>{s.trackingNumber}</code>
                      </a>
                    </td>
                    <td>
                      <Link to={`/orders/${s.orderId}`}>{s.orderNumber}</Link>
                    </td>
                    <td>
                      {s.carrierName} · {s.service} · {s.warehouse}
                    </td>
                    <td>{t(`shipmentStatus.${s.status}`)}</td>
                    <td>{s.events.length ? <DateTime value={s.events[s.events.length - 1].at} /> : null}</td>
                    {canManage ? (
                      <td>
                        {s.status !== 'delivered' ? (
                          <Form method="post" className="inline-actions">
                            <CsrfInput />
                            <input type="hidden" name="intent" value="event" />
                            <input type="hidden" name="shipmentId" value={s.id} />
                            <select name="status" aria-label={t('orders.columns.status')}>
                              {MANUAL_EVENTS.map((e) => (
                                <option key={e} value={e}>
                                  {t(`shipmentStatus.${e}`)}
                                </option>
                              ))}
                            </select>
                            <input name="location" placeholder={t('fulfilment.location')} aria-label={t('fulfilment.location')} />
                            <button type="submit">{t('fulfilment.record')}</button>
                          </Form>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('fulfilment.noShipments')}</p>
        )}
      </section>
    </>
  );
}
