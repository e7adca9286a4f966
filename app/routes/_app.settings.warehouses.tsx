import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { PICK_METHODS } from '../../entities/constants.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatNumber } from '../lib/format.ts';
import { formTexts, readOutcome } from '../modules/settings/form.ts';
import { loadSettingsScreen, readSettingsPost, refusedPost, savedRedirect, unknownIntent } from '../modules/settings/screen.server.ts';
import { getWarehouse, listBins, listWarehouses, listZones, saveWarehouse, setBin } from '../modules/settings/warehouses.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { Toast } from '../components/confirm-submit.tsx';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

/** `?zone=` value for the SKUs that have no bin. */
const NO_BIN = '-';
/** SKUs a zone's list shows; the bin form reaches the others. */
const BINS_SHOWN = 200;
/** The warehouse form's text fields; it shows their errors beside them, and the active switch's. Any other error is shown above it. */
const TEXT_FIELDS = ['code', 'name', 'line1', 'city', 'postalCode', 'country', 'lat', 'lng', 'pickMethod', 'pickBatchSize'] as const;
const SAVE_FIELDS: readonly string[] = [...TEXT_FIELDS, 'active'];

export async function loader(args: LoaderFunctionArgs) {
  const { url, em, canManage, selected, creating } = await loadSettingsScreen(args, getWarehouse, { canAdd: true });
  const zone = url.searchParams.get('zone');
  const warehouses = await listWarehouses(em);
  const zones = selected ? await listZones(em, selected.id) : [];
  const bins = selected && zone ? await listBins(em, selected.id, zone === NO_BIN ? null : zone, BINS_SHOWN + 1) : [];
  return { warehouses, selected, creating, zones, zone, bins: bins.slice(0, BINS_SHOWN), moreBins: bins.length > BINS_SHOWN, canManage };
}

/** `target`: which bin form answered (a SKU's row in the zone list, or the free form). */
type ActionData = { intent?: string; target?: string; errors?: FieldError[]; bin?: { sku: string; bin: string | null; zone: string | null; changed: boolean } };

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readSettingsPost(args);
  const { intent, warehouse, target } = formTexts(form, ['intent', 'warehouse', 'target']);
  const code = warehouse || null;
  try {
    if (intent === 'save') {
      const r = await saveWarehouse(args.context.orm, code, { ...formTexts(form, TEXT_FIELDS), active: form.get('active') === 'on' }, actor);
      return savedRedirect('/settings/warehouses', r.warehouse.code, r);
    }
    if (intent === 'bin' && code) {
      const r = await setBin(args.context.orm, code, formTexts(form, ['sku', 'bin']), actor);
      return data<ActionData>({ intent, target, bin: r });
    }
    return unknownIntent({ intent });
  } catch (e) {
    return refusedPost(e, { intent, target });
  }
}

export default function Warehouses() {
  const { warehouses, selected, creating, zones, zone, bins, moreBins, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, locale, done, busy } = useSettingsScreen();
  const err = (intent: string, field: string, target?: string) =>
    result?.intent === intent && (target === undefined || result.target === target) ? result.errors?.find((e) => e.field === field) : undefined;
  const coord = (v: number) => formatNumber(v, locale, { minimumFractionDigits: 4, maximumFractionDigits: 6 });
  const editing = creating || selected;
  const unplaced =
    result?.errors?.filter(
      (e) =>
        !(editing && result.intent === 'save' && SAVE_FIELDS.includes(e.field)) && !(selected && result.intent === 'bin' && ['sku', 'bin'].includes(e.field)),
    ) ?? [];

  return (
    <>
      <SettingsHead
        title={t('warehouseSettings.title')}
        intro={t('warehouseSettings.intro')}
        errors={unplaced}
        add={{ label: t('warehouseSettings.add'), testid: 'warehouse-add', shown: canManage && !creating }}
        saved={done && selected ? { testid: 'warehouse-saved', text: t(`warehouseSettings.done.${readOutcome(done)}`, { code: selected.code }) } : null}
      />

      <SettingsTable
        testid="warehouses-table"
        head={
          <>
            <th>{t('warehouseSettings.code')}</th>
            <th>{t('warehouseSettings.name')}</th>
            <th>{t('warehouseSettings.address')}</th>
            <th>{t('warehouseSettings.coordinates')}</th>
            <th>{t('warehouseSettings.pickMethod')}</th>
            <th className="num">{t('warehouseSettings.stock')}</th>
            <th />
          </>
        }
      >
        {warehouses.map((w) => (
          <tr key={w.code} data-testid="warehouse-row" data-code={w.code} aria-current={selected?.code === w.code ? 'true' : undefined}>
            <td>
              <code>{w.code}</code>
              {w.active ? null : <span className="badge">{t('warehouseSettings.inactive')}</span>}
            </td>
            <td>{w.name}</td>
            <td>{[w.line1, w.postalCode, w.city, w.country].filter(Boolean).join(', ')}</td>
            <td className="num">
              {coord(w.lat)}, {coord(w.lng)}
            </td>
            <td data-testid="warehouse-pick-method">
              {t(`fulfilment.methods.${w.pickMethod}`)}
              {w.pickMethod === 'batch' || w.pickMethod === 'wave' ? (
                <span className="muted small"> · {t('warehouseSettings.perList', { count: w.pickBatchSize })}</span>
              ) : null}
            </td>
            <td className="num">{t('warehouseSettings.stockFigures', { skus: formatNumber(w.skus, locale), units: formatNumber(w.units, locale) })}</td>
            <OpenRecordCell code={w.code} label={canManage ? t('warehouseSettings.edit') : t('warehouseSettings.view')} />
          </tr>
        ))}
      </SettingsTable>

      {editing ? (
        <SettingsFormCard
          key={selected?.code ?? 'new'}
          testid="warehouse-form"
          canManage={canManage}
          hidden={{ intent: 'save', warehouse: selected?.code ?? '' }}
          title={creating ? t('warehouseSettings.newTitle') : t('warehouseSettings.editTitle', { code: selected!.code })}
          active={{
            checked: selected?.active ?? true,
            label: t('warehouseSettings.active'),
            hint: t('warehouseSettings.activeHint'),
            error: err('save', 'active'),
          }}
          submit={creating ? t('warehouseSettings.create') : t('warehouseSettings.save')}
          cancel={{ to: '/settings/warehouses', label: t('warehouseSettings.cancel') }}
        >
          {creating ? (
            <SettingsField label={t('warehouseSettings.code')} error={err('save', 'code')}>
              <input name="code" required maxLength={12} placeholder={t('warehouseSettings.codeHint')} autoCapitalize="characters" />
            </SettingsField>
          ) : null}
          <SettingsField label={t('warehouseSettings.name')} error={err('save', 'name')}>
            <input name="name" required maxLength={100} defaultValue={selected?.name} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.line1')} error={err('save', 'line1')}>
            <input name="line1" required maxLength={200} defaultValue={selected?.line1} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.city')} error={err('save', 'city')}>
            <input name="city" required maxLength={100} defaultValue={selected?.city} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.postalCode')} error={err('save', 'postalCode')}>
            <input name="postalCode" maxLength={20} defaultValue={selected?.postalCode ?? ''} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.country')} error={err('save', 'country')}>
            <input
              name="country"
              required
              maxLength={2}
              defaultValue={selected?.country}
              placeholder={t('warehouseSettings.countryHint')}
              autoCapitalize="characters"
            />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.lat')} error={err('save', 'lat')}>
            <input name="lat" required inputMode="decimal" defaultValue={selected ? String(selected.lat) : ''} placeholder={t('warehouseSettings.latHint')} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.lng')} error={err('save', 'lng')}>
            <input name="lng" required inputMode="decimal" defaultValue={selected ? String(selected.lng) : ''} placeholder={t('warehouseSettings.lngHint')} />
          </SettingsField>
          <SettingsField label={t('warehouseSettings.pickMethod')} hint={t('warehouseSettings.pickMethodHint')} error={err('save', 'pickMethod')}>
            <select name="pickMethod" defaultValue={selected?.pickMethod ?? 'single'} data-testid="warehouse-pick-method-select">
              {PICK_METHODS.map((m) => (
                <option key={m} value={m}>
                  {t(`fulfilment.methods.${m}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('warehouseSettings.pickBatchSize')} hint={t('warehouseSettings.pickBatchSizeHint')} error={err('save', 'pickBatchSize')}>
            <input name="pickBatchSize" required type="number" min={1} max={100} defaultValue={selected?.pickBatchSize ?? 10} />
          </SettingsField>
        </SettingsFormCard>
      ) : null}

      {selected ? (
        <section className="card" data-testid="warehouse-zones">
          <h2>{t('warehouseSettings.zonesTitle', { code: selected.code })}</h2>
          <p className="muted">{t('warehouseSettings.zonesIntro')}</p>
          {zones.length ? (
            <table className="data-table" data-testid="zones-table">
              <thead>
                <tr>
                  <th>{t('warehouseSettings.zone')}</th>
                  <th className="num">{t('warehouseSettings.skus')}</th>
                  <th className="num">{t('warehouseSettings.units')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {zones.map((z) => {
                  const key = z.zone ?? NO_BIN;
                  return (
                    <tr key={key} data-zone={key}>
                      <td>{z.zone ? <code>{z.zone}</code> : <span className="muted">{t('warehouseSettings.noBin')}</span>}</td>
                      <td className="num">{formatNumber(z.skus, locale)}</td>
                      <td className="num">{formatNumber(z.units, locale)}</td>
                      <td>
                        <Link to={`?code=${encodeURIComponent(selected.code)}&zone=${encodeURIComponent(key)}`}>{t('warehouseSettings.showZone')}</Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('warehouseSettings.noStock')}</p>
          )}

          {result?.intent === 'bin' && result.bin ? (
            <Toast testId="bin-saved">
              {result.bin.changed
                ? result.bin.bin
                  ? t('warehouseSettings.binSaved', { sku: result.bin.sku, bin: result.bin.bin, zone: result.bin.zone })
                  : t('warehouseSettings.binCleared', { sku: result.bin.sku })
                : t('warehouseSettings.binUnchanged', { sku: result.bin.sku })}
            </Toast>
          ) : null}
          {canManage ? (
            <Form method="post" className="filters plain spaced" data-testid="bin-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="bin" />
              <input type="hidden" name="target" value="form" />
              <input type="hidden" name="warehouse" value={selected.code} />
              <SettingsField label={t('warehouseSettings.sku')} error={err('bin', 'sku', 'form')}>
                <input name="sku" required />
              </SettingsField>
              <SettingsField label={t('warehouseSettings.bin')} error={err('bin', 'bin', 'form')}>
                <input name="bin" placeholder={t('warehouseSettings.binHint')} autoCapitalize="characters" />
              </SettingsField>
              <button type="submit" disabled={busy}>
                {t('warehouseSettings.setBin')}
              </button>
            </Form>
          ) : null}

          {zone ? (
            <>
              <h2 className="spaced">{zone === NO_BIN ? t('warehouseSettings.binsNoBin') : t('warehouseSettings.binsTitle', { zone })}</h2>
              {bins.length ? (
                <table className="data-table" data-testid="bins-table">
                  <thead>
                    <tr>
                      <th>{t('warehouseSettings.sku')}</th>
                      <th>{t('warehouseSettings.product')}</th>
                      <th className="num">{t('warehouseSettings.units')}</th>
                      <th>{t('warehouseSettings.bin')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {bins.map((b) => (
                      <tr key={b.sku} data-sku={b.sku}>
                        <td>
                          <code>{b.sku}</code>
                        </td>
                        <td>{b.name}</td>
                        <td className="num">{formatNumber(b.onHand, locale)}</td>
                        <td>
                          {canManage ? (
                            <Form method="post" className="inline-actions">
                              <CsrfInput />
                              <input type="hidden" name="intent" value="bin" />
                              <input type="hidden" name="warehouse" value={selected.code} />
                              <input type="hidden" name="sku" value={b.sku} />
                              <input type="hidden" name="target" value={b.sku} />
                              <input
                                name="bin"
                                key={b.bin ?? ''}
                                defaultValue={b.bin ?? ''}
                                aria-label={t('warehouseSettings.binFor', { sku: b.sku })}
                                className="rate-input"
                              />
                              <button type="submit" disabled={busy}>
                                {t('warehouseSettings.save')}
                              </button>
                              <FieldErrorText error={err('bin', 'bin', b.sku)} />
                            </Form>
                          ) : b.bin ? (
                            <code>{b.bin}</code>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p className="muted">{t('warehouseSettings.noStock')}</p>
              )}
              {moreBins ? <p className="muted small">{t('warehouseSettings.moreBins', { count: BINS_SHOWN })}</p> : null}
            </>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
