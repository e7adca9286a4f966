import crypto from 'node:crypto';
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { parseJson } from '../lib/boundary.ts';
import type { FieldError } from '../lib/problem.ts';
import { createOrder } from '../modules/orders/intake.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { Money } from '../components/format.tsx';
import { FieldErrorText } from '../components/field-error.tsx';

/** Payment options staff can pick; "paid now" ones record the payment at the counter. */
const PAYMENT_PRESETS = [
  { id: 'cash', paidNow: true },
  { id: 'card_terminal', paidNow: true },
  { id: 'bank_transfer', paidNow: false },
  { id: 'cash_on_delivery', paidNow: false },
  { id: 'test-card', paidNow: false },
] as const;
const DELIVERY_PRESETS = ['pickup', 'standard', 'express'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'orders.manage');
  const em = context.orm.em.fork();
  const [channels, templates, warehouses] = await Promise.all([
    em.execute<{ code: string; name: string; kind: string; currencies: string[] }[]>(
      `select code, name, kind, currencies from channel where active and kind in ('pos', 'call_centre') order by kind desc, name`,
    ),
    em.execute<{ id: number; name: string; lines: { sku: string; quantity: number }[] }[]>('select id, name, lines from order_template order by name'),
    em.execute<{ code: string; name: string; line1: string; city: string; postal_code: string | null; country: string; lat: number; lng: number }[]>(
      'select code, name, line1, city, postal_code, country, lat, lng from warehouse where active order by code',
    ),
  ]);
  return { channels, templates, warehouses };
}

type ActionData = { errors?: FieldError[]; error?: { code: string; detail: string; params?: Record<string, string | number> } };

/** The form posts the order as JSON (built by the scanner UI) and it goes through the same intake as every channel. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'orders.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = parseJson(String(form.get('order') ?? ''));
  if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return data<ActionData>(parsed.ok || !parsed.fault ? { error: { code: 'invalid_json', detail: 'invalid order' } } : { errors: [parsed.fault] }, {
      status: 400,
    });
  }
  const body = parsed.value as Record<string, unknown>;
  body.externalId = `MAN-${Date.now().toString(36).toUpperCase()}-${crypto.randomBytes(2).toString('hex').toUpperCase()}`;
  try {
    const result = await createOrder(context.orm, body, { actor: userActor(user, context.ip), baseCurrency: context.config.BASE_CURRENCY });
    if (result.replayed) throw new Error('unexpected replay');
    return redirect(`/orders/${result.order.id}`);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(
      e.errors && e.code === 'validation_failed' ? { errors: e.errors } : { error: { code: e.code, detail: e.message, params: e.params } },
      { status: e.status },
    );
  }
}

interface Line {
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  atp: number;
}

export default function NewOrder() {
  const { channels, templates, warehouses } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [channel, setChannel] = useState(channels[0]?.code ?? '');
  const currencies = channels.find((c) => c.code === channel)?.currencies ?? ['USD'];
  const [currency, setCurrency] = useState(currencies[0]);
  const [lines, setLines] = useState<Line[]>([]);
  const [scanError, setScanError] = useState<string | null>(null);
  const [payment, setPayment] = useState<string>(PAYMENT_PRESETS[0].id);
  const [delivery, setDelivery] = useState<(typeof DELIVERY_PRESETS)[number]>('pickup');
  const [pickupAt, setPickupAt] = useState(warehouses[0]?.code ?? '');
  const [customer, setCustomer] = useState({ email: '', name: '', phone: '' });
  const [address, setAddress] = useState({ line1: '', city: '', postalCode: '', country: 'US' });
  const scanner = useRef<HTMLInputElement>(null);

  const total = lines.reduce((n, l) => n + l.unitPrice * l.quantity, 0);
  const paidNow = PAYMENT_PRESETS.find((p) => p.id === payment)?.paidNow ?? false;
  const err = (field: string) => result?.errors?.find((e) => e.field === field || e.field.startsWith(`${field}.`));

  /** Adds one unit of a product by SKU or barcode: increments its line if it is already there. */
  async function add(code: string, quantity = 1) {
    const trimmed = code.trim();
    if (!trimmed) return;
    setScanError(null);
    const existing = lines.find((l) => l.sku === trimmed || l.sku.toLowerCase() === trimmed.toLowerCase());
    if (existing) {
      setLines((ls) => ls.map((l) => (l === existing ? { ...l, quantity: l.quantity + quantity } : l)));
      return;
    }
    const res = await fetch(`/api/v1/products/${encodeURIComponent(trimmed)}?currency=${currency}`);
    if (!res.ok) {
      setScanError(trimmed);
      return;
    }
    const p = (await res.json()) as { sku: string; name: string; unitPrice: number; atp: number };
    setLines((ls) => {
      const again = ls.find((l) => l.sku === p.sku); // scanned by barcode after being added by SKU
      return again
        ? ls.map((l) => (l === again ? { ...l, quantity: l.quantity + quantity } : l))
        : [...ls, { sku: p.sku, name: p.name, unitPrice: p.unitPrice, quantity, atp: p.atp }];
    });
  }

  async function applyTemplate(id: string) {
    const tpl = templates.find((x) => String(x.id) === id);
    if (!tpl) return;
    for (const l of tpl.lines) await add(l.sku, l.quantity);
  }

  const payload = useMemo(() => {
    const store = warehouses.find((w) => w.code === pickupAt);
    const shippingAddress =
      delivery === 'pickup' && store
        ? {
            name: customer.name || undefined,
            line1: store.line1,
            city: store.city,
            postalCode: store.postal_code ?? undefined,
            country: store.country,
            lat: Number(store.lat),
            lng: Number(store.lng),
          }
        : { name: customer.name || undefined, line1: address.line1, city: address.city, postalCode: address.postalCode || undefined, country: address.country };
    return JSON.stringify({
      channel,
      currency,
      paymentMethod: payment,
      deliveryMethod: delivery,
      customer: { email: customer.email, name: customer.name, phone: customer.phone || undefined },
      shippingAddress,
      lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
      ...(paidNow ? { paidAmount: total } : {}),
    });
  }, [channel, currency, payment, delivery, pickupAt, customer, address, lines, paidNow, total, warehouses]);

  return (
    <>
      <h1 className="page-title">{t('manual.title')}</h1>
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}
      {result?.errors?.length ? (
        <p className="form-error" role="alert">
          {t('errors.validation_failed')}
        </p>
      ) : null}
      <div className="grid-2">
        <section className="card">
          <h2>{t('manual.sale')}</h2>
          <div className="filters plain">
            <label className="field">
              <span>{t('orders.columns.channel')}</span>
              <select
                value={channel}
                onChange={(e) => {
                  setChannel(e.target.value);
                  setCurrency(channels.find((c) => c.code === e.target.value)?.currencies[0] ?? 'USD');
                  setLines([]);
                }}
              >
                {channels.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('manual.currency')}</span>
              <select
                value={currency}
                onChange={(e) => {
                  setCurrency(e.target.value);
                  setLines([]);
                }}
              >
                {currencies.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            {templates.length ? (
              <label className="field">
                <span>{t('manual.template')}</span>
                <select value="" onChange={(e) => void applyTemplate(e.target.value)} data-testid="template-select">
                  <option value="">{t('manual.chooseTemplate')}</option>
                  {templates.map((tpl) => (
                    <option key={tpl.id} value={tpl.id}>
                      {tpl.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </div>
          <label className="field scanner">
            <span>{t('manual.scan')}</span>
            <input
              ref={scanner}
              autoFocus
              autoComplete="off"
              inputMode="text"
              data-testid="scanner"
              placeholder={t('manual.scanHint')}
              onKeyDown={(e) => {
                if (e.key !== 'Enter') return;
                e.preventDefault();
                const code = e.currentTarget.value;
                e.currentTarget.value = '';
                void add(code);
              }}
            />
            {scanError ? (
              <span className="field-error" role="alert">
                {t('manual.unknownCode', { code: scanError })}
              </span>
            ) : null}
            <FieldErrorText error={err('lines')} />
          </label>
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table" data-testid="manual-lines">
              <thead>
                <tr>
                  <th>{t('inventory.columns.sku')}</th>
                  <th>{t('inventory.columns.product')}</th>
                  <th className="num">{t('orders.detail.quantity')}</th>
                  <th className="num">{t('orders.detail.unitPrice')}</th>
                  <th className="num">{t('orders.columns.total')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => (
                  <tr key={l.sku} data-testid="manual-line" data-sku={l.sku}>
                    <td>
                      <code>{l.sku}</code>
                    </td>
                    <td>
                      {l.name}
                      {l.quantity > l.atp ? <div className="field-error">{t('manual.shortStock', { atp: l.atp })}</div> : null}
                    </td>
                    <td className="num">
                      <input
                        type="number"
                        min={1}
                        value={l.quantity}
                        aria-label={t('orders.detail.quantity')}
                        className="qty"
                        onChange={(e) => {
                          const q = Math.max(1, Number(e.target.value) || 1);
                          setLines((ls) => ls.map((x) => (x.sku === l.sku ? { ...x, quantity: q } : x)));
                        }}
                      />
                    </td>
                    <td className="num">
                      <Money minor={l.unitPrice} currency={currency} />
                    </td>
                    <td className="num">
                      <Money minor={l.unitPrice * l.quantity} currency={currency} />
                    </td>
                    <td>
                      <button type="button" className="link-button" onClick={() => setLines((ls) => ls.filter((x) => x.sku !== l.sku))}>
                        {t('manual.remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td colSpan={4} className="num strong">
                    {t('orders.columns.total')}
                  </td>
                  <td className="num strong" data-testid="manual-total">
                    <Money minor={total} currency={currency} />
                  </td>
                  <td />
                </tr>
              </tfoot>
            </table>
          </div>
        </section>

        <section className="card">
          <h2>{t('manual.customerAndDelivery')}</h2>
          <div className="form-grid">
            <label className="field">
              <span>{t('auth.email')}</span>
              <input type="email" value={customer.email} onChange={(e) => setCustomer({ ...customer, email: e.target.value })} data-testid="customer-email" />
              <FieldErrorText error={err('customer.email')} />
            </label>
            <label className="field">
              <span>{t('users.name')}</span>
              <input value={customer.name} onChange={(e) => setCustomer({ ...customer, name: e.target.value })} data-testid="customer-name" />
              <FieldErrorText error={err('customer.name')} />
            </label>
            <label className="field">
              <span>{t('manual.phone')}</span>
              <input value={customer.phone} onChange={(e) => setCustomer({ ...customer, phone: e.target.value })} />
            </label>
            <label className="field">
              <span>{t('orders.detail.delivery')}</span>
              <select value={delivery} onChange={(e) => setDelivery(e.target.value as typeof delivery)} data-testid="delivery-select">
                {DELIVERY_PRESETS.map((d) => (
                  <option key={d} value={d}>
                    {t(`deliveryMethods.${d}`)}
                  </option>
                ))}
              </select>
            </label>
            {delivery === 'pickup' ? (
              <label className="field">
                <span>{t('manual.pickupAt')}</span>
                <select value={pickupAt} onChange={(e) => setPickupAt(e.target.value)}>
                  {warehouses.map((w) => (
                    <option key={w.code} value={w.code}>
                      {w.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : (
              <>
                <label className="field">
                  <span>{t('manual.address')}</span>
                  <input value={address.line1} onChange={(e) => setAddress({ ...address, line1: e.target.value })} />
                  <FieldErrorText error={err('shippingAddress.line1')} />
                </label>
                <label className="field">
                  <span>{t('manual.city')}</span>
                  <input value={address.city} onChange={(e) => setAddress({ ...address, city: e.target.value })} />
                  <FieldErrorText error={err('shippingAddress.city')} />
                </label>
                <label className="field">
                  <span>{t('manual.postalCode')}</span>
                  <input value={address.postalCode} onChange={(e) => setAddress({ ...address, postalCode: e.target.value })} />
                </label>
                <label className="field">
                  <span>{t('manual.country')}</span>
                  <input value={address.country} maxLength={2} onChange={(e) => setAddress({ ...address, country: e.target.value.toUpperCase() })} />
                  <FieldErrorText error={err('shippingAddress.country')} />
                </label>
              </>
            )}
            <label className="field">
              <span>{t('orders.detail.payment')}</span>
              <select value={payment} onChange={(e) => setPayment(e.target.value)} data-testid="payment-select">
                {PAYMENT_PRESETS.map((p) => (
                  <option key={p.id} value={p.id}>
                    {t(`paymentMethods.${p.id}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="order" value={payload} />
            <button type="submit" className="primary" disabled={lines.length === 0 || navigation.state !== 'idle'} data-testid="place-order">
              {paidNow ? t('manual.placePaid') : t('manual.place')}
            </button>
          </Form>
        </section>
      </div>
    </>
  );
}
