import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { PICK_METHODS } from '../../entities/constants.ts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatNumber } from '../lib/format.ts';
import { getWarehouse, listBins, listWarehouses, listZones, saveWarehouse, setBin } from '../modules/settings/warehouses.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { useRootData } from '../root.tsx';

/** `?zone=` value for the SKUs that have no bin. */
const NO_BIN = '-';
/** SKUs a zone's list shows; the bin form reaches the others. */
const BINS_SHOWN = 200;
/** Fields the forms show their errors beside; any other error is shown above them. */
const SAVE_FIELDS = ['code', 'name', 'line1', 'city', 'postalCode', 'country', 'lat', 'lng', 'active', 'pickMethod', 'pickBatchSize'];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const url = new URL(request.url);
  const em = context.orm.em.fork();
  const code = url.searchParams.get('code');
  const zone = url.searchParams.get('zone');
  const canManage = can(user.role, 'settings.manage');
  const warehouses = await listWarehouses(em);
  const selected = code && code !== 'new' ? await getWarehouse(em, code) : null;
  if (code && code !== 'new' && !selected) throw new Response(null, { status: 404 });
  if (code === 'new' && !canManage) throw new Response(null, { status: 403 });
  const zones = selected ? await listZones(em, selected.id) : [];
  const bins = selected && zone ? await listBins(em, selected.id, zone === NO_BIN ? null : zone, BINS_SHOWN + 1) : [];
  return { warehouses, selected, creating: code === 'new', zones, zone, bins: bins.slice(0, BINS_SHOWN), moreBins: bins.length > BINS_SHOWN, canManage };
}

/** `target`: which bin form answered (a SKU's row in the zone list, or the free form). */
type ActionData = { intent?: string; target?: string; errors?: FieldError[]; bin?: { sku: string; bin: string | null; zone: string | null; changed: boolean } };

const text = (form: FormData, key: string) => {
  const v = form.get(key);
  return typeof v === 'string' ? v : undefined;
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const actor = userActor(user, context.ip);
  const intent = text(form, 'intent');
  const code = text(form, 'warehouse') || null;
  const target = text(form, 'target');
  try {
    if (intent === 'save') {
      const raw = {
        code: text(form, 'code'), name: text(form, 'name'), line1: text(form, 'line1'), city: text(form, 'city'), postalCode: text(form, 'postalCode'),
        country: text(form, 'country'), lat: text(form, 'lat'), lng: text(form, 'lng'), active: form.get('active') === 'on',
        pickMethod: text(form, 'pickMethod'), pickBatchSize: text(form, 'pickBatchSize'),
      };
      const r = await saveWarehouse(context.orm, code, raw, actor);
      const outcome = r.created ? 'created' : r.changed.length ? 'saved' : 'unchanged';
      return redirect(`/settings/warehouses?code=${encodeURIComponent(r.warehouse.code)}&done=${outcome}`);
    }
    if (intent === 'bin' && code) {
      const r = await setBin(context.orm, code, { sku: text(form, 'sku'), bin: text(form, 'bin') }, actor);
      return data<ActionData>({ intent, target, bin: r });
    }
    return data<ActionData>({ intent, errors: [{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] }, { status: 422 });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.status === 404) throw new Response(null, { status: 404 });
    return data<ActionData>({ intent, target, errors: e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] }, { status: e.status });
  }
}

export default function Warehouses() {
  const { warehouses, selected, creating, zones, zone, bins, moreBins, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const locale = useRootData()?.locale ?? 'en';
  const done = params.get('done');
  const err = (intent: string, field: string, target?: string) =>
    (result?.intent === intent && (target === undefined || result.target === target) ? result.errors?.find((e) => e.field === field) : undefined);
  const coord = (v: number) => formatNumber(v, locale, { minimumFractionDigits: 4, maximumFractionDigits: 6 });
  const editing = creating || selected;
  const busy = navigation.state !== 'idle';
  const unplaced = result?.errors?.filter((e) =>
    !(editing && result.intent === 'save' && SAVE_FIELDS.includes(e.field)) && !(selected && result.intent === 'bin' && ['sku', 'bin'].includes(e.field))) ?? [];

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('warehouseSettings.title')}</h1>
        {canManage && !creating ? <Link className="button primary" to="?code=new" data-testid="warehouse-add">{t('warehouseSettings.add')}</Link> : null}
      </div>
      <p className="muted">{t('warehouseSettings.intro')}</p>
      {unplaced.map((e) => <p key={e.field} className="form-error" role="alert">{t(e.messageKey, e.params)}</p>)}
      {done && selected ? (
        <p className="notice success" role="status" data-testid="warehouse-saved">{t(`warehouseSettings.done.${done === 'created' ? 'created' : done === 'saved' ? 'saved' : 'unchanged'}`, { code: selected.code })}</p>
      ) : null}

      <div className="table-wrap">
        <table className="data-table" data-testid="warehouses-table">
          <thead>
            <tr>
              <th>{t('warehouseSettings.code')}</th><th>{t('warehouseSettings.name')}</th><th>{t('warehouseSettings.address')}</th>
              <th>{t('warehouseSettings.coordinates')}</th><th>{t('warehouseSettings.pickMethod')}</th><th className="num">{t('warehouseSettings.stock')}</th><th />
            </tr>
          </thead>
          <tbody>
            {warehouses.map((w) => (
              <tr key={w.code} data-testid="warehouse-row" data-code={w.code} aria-current={selected?.code === w.code ? 'true' : undefined}>
                <td><code>{w.code}</code>{w.active ? null : <span className="badge">{t('warehouseSettings.inactive')}</span>}</td>
                <td>{w.name}</td>
                <td>{[w.line1, w.postalCode, w.city, w.country].filter(Boolean).join(', ')}</td>
                <td className="num">{coord(w.lat)}, {coord(w.lng)}</td>
                <td data-testid="warehouse-pick-method">{t(`fulfilment.methods.${w.pickMethod}`)}{w.pickMethod === 'batch' || w.pickMethod === 'wave' ? <span className="muted small"> · {t('warehouseSettings.perList', { count: w.pickBatchSize })}</span> : null}</td>
                <td className="num">{t('warehouseSettings.stockFigures', { skus: formatNumber(w.skus, locale), units: formatNumber(w.units, locale) })}</td>
                <td><Link to={`?code=${encodeURIComponent(w.code)}`}>{canManage ? t('warehouseSettings.edit') : t('warehouseSettings.view')}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {editing ? (
        <section className="card spaced" data-testid="warehouse-form-card">
          <h2>{creating ? t('warehouseSettings.newTitle') : t('warehouseSettings.editTitle', { code: selected!.code })}</h2>
          <Form method="post" key={selected?.code ?? 'new'} data-testid="warehouse-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="save" />
            <input type="hidden" name="warehouse" value={selected?.code ?? ''} />
            <fieldset className="plain" disabled={!canManage}>
              <div className="form-grid">
                {creating ? (
                  <label className="field"><span>{t('warehouseSettings.code')}</span>
                    <input name="code" required maxLength={12} placeholder={t('warehouseSettings.codeHint')} autoCapitalize="characters" />
                    <FieldErrorText error={err('save', 'code')} /></label>
                ) : null}
                <label className="field"><span>{t('warehouseSettings.name')}</span>
                  <input name="name" required maxLength={100} defaultValue={selected?.name} /><FieldErrorText error={err('save', 'name')} /></label>
                <label className="field"><span>{t('warehouseSettings.line1')}</span>
                  <input name="line1" required maxLength={200} defaultValue={selected?.line1} /><FieldErrorText error={err('save', 'line1')} /></label>
                <label className="field"><span>{t('warehouseSettings.city')}</span>
                  <input name="city" required maxLength={100} defaultValue={selected?.city} /><FieldErrorText error={err('save', 'city')} /></label>
                <label className="field"><span>{t('warehouseSettings.postalCode')}</span>
                  <input name="postalCode" maxLength={20} defaultValue={selected?.postalCode ?? ''} /><FieldErrorText error={err('save', 'postalCode')} /></label>
                <label className="field"><span>{t('warehouseSettings.country')}</span>
                  <input name="country" required maxLength={2} defaultValue={selected?.country} placeholder={t('warehouseSettings.countryHint')} autoCapitalize="characters" />
                  <FieldErrorText error={err('save', 'country')} /></label>
                <label className="field"><span>{t('warehouseSettings.lat')}</span>
                  <input name="lat" required inputMode="decimal" defaultValue={selected ? String(selected.lat) : ''} placeholder={t('warehouseSettings.latHint')} />
                  <FieldErrorText error={err('save', 'lat')} /></label>
                <label className="field"><span>{t('warehouseSettings.lng')}</span>
                  <input name="lng" required inputMode="decimal" defaultValue={selected ? String(selected.lng) : ''} placeholder={t('warehouseSettings.lngHint')} />
                  <FieldErrorText error={err('save', 'lng')} /></label>
                <label className="field"><span>{t('warehouseSettings.pickMethod')}</span>
                  <select name="pickMethod" defaultValue={selected?.pickMethod ?? 'single'} data-testid="warehouse-pick-method-select">
                    {PICK_METHODS.map((m) => <option key={m} value={m}>{t(`fulfilment.methods.${m}`)}</option>)}
                  </select>
                  <span className="muted small">{t('warehouseSettings.pickMethodHint')}</span>
                  <FieldErrorText error={err('save', 'pickMethod')} /></label>
                <label className="field"><span>{t('warehouseSettings.pickBatchSize')}</span>
                  <input name="pickBatchSize" required type="number" min={1} max={100} defaultValue={selected?.pickBatchSize ?? 10} />
                  <span className="muted small">{t('warehouseSettings.pickBatchSizeHint')}</span>
                  <FieldErrorText error={err('save', 'pickBatchSize')} /></label>
              </div>
              <label className="inline-actions">
                <input type="checkbox" name="active" defaultChecked={selected?.active ?? true} />
                <span>{t('warehouseSettings.active')}</span>
              </label>
              <p className="muted small">{t('warehouseSettings.activeHint')}</p>
              <FieldErrorText error={err('save', 'active')} />
              {canManage ? (
                <div className="inline-actions">
                  <button type="submit" className="primary" disabled={busy}>{creating ? t('warehouseSettings.create') : t('warehouseSettings.save')}</button>
                  <Link to="/settings/warehouses">{t('warehouseSettings.cancel')}</Link>
                </div>
              ) : null}
            </fieldset>
          </Form>
        </section>
      ) : null}

      {selected ? (
        <section className="card" data-testid="warehouse-zones">
          <h2>{t('warehouseSettings.zonesTitle', { code: selected.code })}</h2>
          <p className="muted">{t('warehouseSettings.zonesIntro')}</p>
          {zones.length ? (
            <table className="data-table" data-testid="zones-table">
              <thead><tr><th>{t('warehouseSettings.zone')}</th><th className="num">{t('warehouseSettings.skus')}</th><th className="num">{t('warehouseSettings.units')}</th><th /></tr></thead>
              <tbody>
                {zones.map((z) => {
                  const key = z.zone ?? NO_BIN;
                  return (
                    <tr key={key} data-zone={key}>
                      <td>{z.zone ? <code>{z.zone}</code> : <span className="muted">{t('warehouseSettings.noBin')}</span>}</td>
                      <td className="num">{formatNumber(z.skus, locale)}</td>
                      <td className="num">{formatNumber(z.units, locale)}</td>
                      <td><Link to={`?code=${encodeURIComponent(selected.code)}&zone=${encodeURIComponent(key)}`}>{t('warehouseSettings.showZone')}</Link></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : <p className="muted">{t('warehouseSettings.noStock')}</p>}

          {result?.intent === 'bin' && result.bin ? (
            <p className="notice success" role="status" data-testid="bin-saved">
              {result.bin.changed
                ? (result.bin.bin ? t('warehouseSettings.binSaved', { sku: result.bin.sku, bin: result.bin.bin, zone: result.bin.zone }) : t('warehouseSettings.binCleared', { sku: result.bin.sku }))
                : t('warehouseSettings.binUnchanged', { sku: result.bin.sku })}
            </p>
          ) : null}
          {canManage ? (
            <Form method="post" className="filters plain spaced" data-testid="bin-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="bin" />
              <input type="hidden" name="target" value="form" />
              <input type="hidden" name="warehouse" value={selected.code} />
              <label className="field"><span>{t('warehouseSettings.sku')}</span><input name="sku" required /><FieldErrorText error={err('bin', 'sku', 'form')} /></label>
              <label className="field"><span>{t('warehouseSettings.bin')}</span><input name="bin" placeholder={t('warehouseSettings.binHint')} autoCapitalize="characters" /><FieldErrorText error={err('bin', 'bin', 'form')} /></label>
              <button type="submit" disabled={busy}>{t('warehouseSettings.setBin')}</button>
            </Form>
          ) : null}

          {zone ? (
            <>
              <h2 className="spaced">{zone === NO_BIN ? t('warehouseSettings.binsNoBin') : t('warehouseSettings.binsTitle', { zone })}</h2>
              {bins.length ? (
                <table className="data-table" data-testid="bins-table">
                  <thead><tr><th>{t('warehouseSettings.sku')}</th><th>{t('warehouseSettings.product')}</th><th className="num">{t('warehouseSettings.units')}</th><th>{t('warehouseSettings.bin')}</th></tr></thead>
                  <tbody>
                    {bins.map((b) => (
                      <tr key={b.sku} data-sku={b.sku}>
                        <td><code>{b.sku}</code></td><td>{b.name}</td><td className="num">{formatNumber(b.onHand, locale)}</td>
                        <td>{canManage ? (
                          <Form method="post" className="inline-actions">
                            <CsrfInput />
                            <input type="hidden" name="intent" value="bin" />
                            <input type="hidden" name="warehouse" value={selected.code} />
                            <input type="hidden" name="sku" value={b.sku} />
                            <input type="hidden" name="target" value={b.sku} />
                            <input name="bin" key={b.bin ?? ''} defaultValue={b.bin ?? ''} aria-label={t('warehouseSettings.binFor', { sku: b.sku })} className="rate-input" />
                            <button type="submit" disabled={busy}>{t('warehouseSettings.save')}</button>
                            <FieldErrorText error={err('bin', 'bin', b.sku)} />
                          </Form>
                        ) : b.bin ? <code>{b.bin}</code> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : <p className="muted">{t('warehouseSettings.noStock')}</p>}
              {moreBins ? <p className="muted small">{t('warehouseSettings.moreBins', { count: BINS_SHOWN })}</p> : null}
            </>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
