import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { RETURN_REASONS } from '../../entities/constants.ts';
import { assertCsrf } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { recentShipments } from '../modules/fulfilment/queries.server.ts';
import type { TitleHandle } from '../lib/document-title.ts';
import { storeProfile } from '../modules/settings/store.server.ts';
import { exchangeOptions, requestSelfServiceReturn, returnableLines, returnWindowOpen } from '../modules/returns/service.server.ts';
import { contactAboutOrder } from '../modules/service/contact.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { ReturnLine } from '../components/return-line.tsx';
import { LocaleSwitcher } from '../components/locale-switcher.tsx';

export const meta: MetaFunction = () => [{ name: 'robots', content: 'noindex' }];

export const handle: TitleHandle = {
  title: (t, data: { number: string; store: string } | undefined) => (data ? { title: t('track.title', { number: data.number }), brand: data.store } : null),
};

/** The customer's milestones, from the order's own history. */
const MILESTONES = ['received', 'paid', 'shipped', 'delivered'] as const;
/** Statuses that say a milestone was passed even when its moment was never recorded (an order imported with its history). */
const PASSED: Record<(typeof MILESTONES)[number], readonly string[]> = {
  received: [],
  paid: ['paid', 'allocated', 'picking', 'packed', 'shipped', 'delivered', 'completed', 'returned', 'partially_returned'],
  shipped: ['shipped', 'delivered', 'completed', 'returned', 'partially_returned'],
  delivered: ['delivered', 'completed', 'returned', 'partially_returned'],
};

async function findOrder(context: LoaderFunctionArgs['context'], token: string | undefined) {
  if (!token || !/^[0-9a-f]{32}$/.test(token)) return null;
  const [o] = await context.orm.em
    .fork()
    .execute<{ id: number; number: string; status: string; placed_at: Date; currency: string }[]>(
      'select id, number, status, placed_at, currency from sales_order where tracking_token = ?',
      [token],
    );
  return o ?? null;
}

/** Public: anyone with the link (sent in the customer's emails) sees this order's progress, nothing else. */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const o = await findOrder(context, params.token);
  if (!o) throw new Response(null, { status: 404 });
  const em = context.orm.em.fork();
  const [history, [facts], shipments, lines, returns, windowOpen] = await Promise.all([
    em.execute<{ at: Date; after: { status?: string } }[]>(
      `select at, after from audit_event where entity_type = 'Order' and entity_id = ? and action in ('order.created', 'order.status_changed') order by id`,
      [String(o.id)],
    ),
    em.execute<{ paid: Date | null; shipped: Date | null; delivered: Date | null }[]>(
      `select (select min(updated_at) from payment where order_id = ? and captured_minor > 0) as paid,
              (select min(shipped_at) from shipment where order_id = ?) as shipped,
              (select max(delivered_at) from shipment where order_id = ?) as delivered`,
      [o.id, o.id, o.id],
    ),
    recentShipments(em, { orderId: o.id }),
    returnableLines(em, o.id),
    em.execute<{ number: string; status: string; created_at: Date }[]>('select number, status, created_at from return_request where order_id = ? order by id', [
      o.id,
    ]),
    returnWindowOpen(em, o.id),
  ]);
  // When: the recorded status change, else the fact that shows it (the payment, the parcel), else the order's own time.
  const fact = { received: o.placed_at, paid: facts?.paid ?? null, shipped: facts?.shipped ?? null, delivered: facts?.delivered ?? null };
  const milestone = (m: (typeof MILESTONES)[number]) => {
    const at = history.find((h) => h.after?.status === m || (m === 'received' && h.after))?.at ?? fact[m];
    return { id: m, reached: m === 'received' || !!at || PASSED[m].includes(o.status), at: at ? new Date(at).toISOString() : null };
  };
  const canReturn = windowOpen && lines.some((l) => l.returnable > 0);
  // What each returnable product could be exchanged for (only when the form shows).
  const replacements = canReturn
    ? await exchangeOptions(
        em,
        lines.filter((l) => l.returnable > 0).map((l) => l.sku),
      )
    : {};
  return {
    number: o.number,
    status: o.status,
    placedAt: new Date(o.placed_at).toISOString(),
    milestones: MILESTONES.map(milestone),
    ...(await storeProfile(em).then((p) => ({ store: p.name, logo: p.logoUrl }))),
    shipments: shipments.map((s) => ({
      carrier: s.carrierName,
      trackingNumber: s.trackingNumber,
      trackingUrl: s.trackingUrl,
      status: s.status,
      events: s.events,
    })),
    lines,
    returns: returns.map((r) => ({ number: r.number, status: r.status, createdAt: new Date(r.created_at).toISOString() })),
    canReturn,
    replacements,
    /** One per page view: the contact form sent twice opens one ticket. */
    nonce: crypto.randomUUID(),
  };
}

type ActionData = {
  contacted?: string;
  created?: { number: string; resolution: 'refund' | 'exchange' }[];
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await request.formData();
  assertCsrf(request, form);
  const o = await findOrder(context, params.token);
  if (!o) throw new Response(null, { status: 404 });
  if (form.get('intent') === 'contact') {
    try {
      const r = await contactAboutOrder(context.orm, o.id, { message: form.get('message'), nonce: form.get('nonce'), token: params.token! }, context.ip);
      return data<ActionData>({ contacted: r.number });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return data<ActionData>(e.errors ? { errors: e.errors } : { error: { code: e.code, params: e.params } }, { status: e.status });
    }
  }
  // One entry per line in each list, in the order of the lines.
  const [skus, quantities, resolutions, replacements] = ['sku', 'quantity', 'resolution', 'replacementSku'].map((f) => form.getAll(f).map(String));
  const input = {
    reason: form.get('reason'),
    comment: form.get('comment') || undefined,
    lines: skus.map((sku, i) => ({
      sku,
      quantity: quantities[i] || '0',
      resolution: resolutions[i] || undefined,
      replacementSku: replacements[i] || undefined,
    })),
  };
  try {
    const rmas = await requestSelfServiceReturn(
      context.orm,
      o.id,
      input,
      { type: 'anonymous', label: `customer via tracking page`, ip: context.ip },
      'tracking_page',
    );
    return data<ActionData>({ created: rmas.map((r) => ({ number: r.number, resolution: r.resolution })) });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { errors: e.errors } : { error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

const TRACK_KEYS = {
  quantityOf: 'track.returnQuantityOf',
  resolutionOf: 'track.lineResolution',
  refund: 'track.refund',
  exchange: 'track.exchange',
  sameItem: 'track.sameItem',
  replacementOf: 'track.replacementOf',
};

export default function Track() {
  const order = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  return (
    <main className="public-page">
      <header className="public-head">
        <span className="public-brand">
          {order.logo ? <img src={order.logo} alt="" className="store-logo" data-testid="store-logo" /> : null}
          <strong data-testid="store-name">{order.store}</strong>
        </span>
        <LocaleSwitcher />
      </header>
      <h1>{t('track.title', { number: order.number })}</h1>
      <p className="muted">
        {t('track.placed')} <DateTime value={order.placedAt} /> · <span data-testid="track-status">{t(`orderStatus.${order.status}`)}</span>
      </p>
      <ol className="milestones" data-testid="milestones">
        {order.milestones.map((m) => (
          <li key={m.id} className={m.reached ? 'reached' : ''} data-milestone={m.id}>
            <span>{t(`track.milestones.${m.id}`)}</span>
            {m.at ? (
              <small>
                <DateTime value={m.at} />
              </small>
            ) : null}
          </li>
        ))}
      </ol>

      {order.shipments.map((s) => (
        <section key={s.trackingNumber} className="card">
          <h2>
            {s.carrier} ·{' '}
            <a href={s.trackingUrl} target="_blank" rel="noreferrer">
              {s.trackingNumber}
            </a>{' '}
            · {t(`shipmentStatus.${s.status}`)}
          </h2>
          <ol className="timeline">
            {[...s.events].reverse().map((e, i) => (
              <li key={i}>
                <DateTime value={e.at} /> · {t(`shipmentStatus.${e.status}`)}
                {e.location ? ` · ${e.location}` : ''}
              </li>
            ))}
          </ol>
        </section>
      ))}

      {order.returns.length ? (
        <section className="card">
          <h2>{t('track.returns')}</h2>
          <ul>
            {order.returns.map((r) => (
              <li key={r.number} data-testid="rma">
                {r.number} · {t(`returnStatus.${r.status}`)} · <DateTime value={r.createdAt} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {result?.created ? (
        <p className="notice success" role="status" data-testid="return-created">
          {result.created.length === 1
            ? t('track.returnCreated', { rma: result.created[0].number })
            : t('track.returnsCreated', { rmas: result.created.map((r) => r.number).join(', ') })}
        </p>
      ) : null}
      <section className="card" data-testid="contact">
        <h2>{t('track.contactTitle')}</h2>
        {result?.contacted ? (
          <p className="notice success" role="status" data-testid="contact-sent">
            {t('track.contactSent', { number: result.contacted })}
          </p>
        ) : (
          <Form method="post" data-testid="contact-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="contact" />
            <input type="hidden" name="nonce" value={order.nonce} />
            <label className="field">
              <span>{t('track.contactMessage')}</span>
              <textarea name="message" rows={4} required maxLength={5000} />
            </label>
            <FieldErrorText error={result?.errors?.find((e) => e.field === 'message')} />
            <button type="submit">{t('track.contactSend')}</button>
          </Form>
        )}
      </section>

      {order.canReturn ? (
        <section className="card">
          <h2>{t('track.returnTitle')}</h2>
          <Form method="post" data-testid="return-form">
            <CsrfInput />
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('inventory.columns.product')}</th>
                  <th className="num">{t('track.returnQuantity')}</th>
                  <th>{t('track.resolution')}</th>
                  <th>{t('track.replacement')}</th>
                </tr>
              </thead>
              <tbody>
                {order.lines
                  .filter((l) => l.returnable > 0)
                  .map((l, i) => (
                    <ReturnLine
                      keys={TRACK_KEYS}
                      listId="replacements"
                      key={l.sku}
                      line={l}
                      index={i}
                      options={order.replacements[l.sku] ?? []}
                      errors={result?.errors ?? []}
                    />
                  ))}
              </tbody>
            </table>
            <p className="muted">{t('track.replacementHint')}</p>
            <div className="form-grid">
              <label className="field">
                <span>{t('track.reason')}</span>
                <select name="reason" required>
                  {RETURN_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {t(`returnReasons.${r}`)}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>{t('track.comment')}</span>
                <input name="comment" maxLength={1000} />
              </label>
            </div>
            <FieldErrorText error={result?.errors?.find((e) => e.field === 'lines')} />
            {result?.error ? (
              <p className="form-error" role="alert">
                {t(`errors.${result.error.code}`, result.error.params)}
              </p>
            ) : null}
            <button type="submit" className="primary">
              {t('track.requestReturn')}
            </button>
          </Form>
        </section>
      ) : null}
    </main>
  );
}
