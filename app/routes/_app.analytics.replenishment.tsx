import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatDate, formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import { CHART_COLORS } from '../components/charts.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { replenishmentPlan, ReplenishmentFilters, type ReplenishmentRow } from '../modules/analytics/replenishment.server.ts';
import { changeReorderPolicy } from '../modules/inventory/service.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'analytics.view');
  const f = ReplenishmentFilters.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const [plan, warehouses] = await Promise.all([
    replenishmentPlan(em, f),
    em.execute<{ code: string }[]>('select code from warehouse where active order by code'),
  ]);
  return { plan, warehouses: warehouses.map((w) => w.code), canAccept: can(user.role, 'inventory.manage') };
}

type ActionData = {
  ok?: { sku: string; warehouse: string; reorderPoint: number; reorderQuantity: number };
  levelId?: string;
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'inventory.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const input = { levelId: form.get('levelId'), reorderPoint: form.get('reorderPoint'), reorderQuantity: form.get('reorderQuantity') };
  const levelId = typeof input.levelId === 'string' ? input.levelId : undefined;
  try {
    const r = await changeReorderPolicy(context.orm, input, userActor(user, context.ip), { source: 'replenishment' });
    return data<ActionData>({ ok: { sku: r.sku, warehouse: r.warehouse, reorderPoint: r.reorderPoint, reorderQuantity: r.reorderQuantity }, levelId });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { errors: e.errors, levelId } : { error: { code: e.code, params: e.params }, levelId }, { status: e.status });
  }
}

const WEEK = 7 * 86_400_000;

export default function Replenishment() {
  const { plan, warehouses, canAccept } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const { t } = useTranslation();
  const locale = useLocale();
  const [params] = useSearchParams();
  const num = (n: number, digits = 0) => formatNumber(n, locale, { maximumFractionDigits: digits });
  const pct = (n: number) => formatNumber(n, locale, { style: 'percent', maximumFractionDigits: 0 });
  const selectedId = Number(params.get('row')) || null;
  const selected = plan.rows.find((r) => r.levelId === selectedId) ?? plan.rows.find((r) => r.differs) ?? plan.rows[0] ?? null;
  const asOf = Date.parse(plan.asOf);
  /** The first day of week `i` of the history (0: the oldest); weeks past the history are forecast. */
  const weekStart = (i: number) => formatDate(new Date(asOf - (plan.weeks - i) * WEEK).toISOString(), locale);
  const rowLink = (levelId: number) => {
    const p = new URLSearchParams(params);
    p.set('row', String(levelId));
    return `?${p}`;
  };

  /** The method and its held-out error, in a sentence. */
  const explain = (r: ReplenishmentRow) => {
    const f = r.forecast;
    if (f.fallback === 'no_demand') return t('replenishment.explain.noDemand', { weeks: plan.weeks });
    if (f.fallback === 'not_enough_history' || !f.heldOut) return t('replenishment.explain.notEnoughHistory', { weeks: f.weeksUsed });
    const method =
      f.method === 'holt'
        ? t('replenishment.explain.holt', { alpha: num(f.alpha ?? 0, 2), beta: num(f.beta ?? 0, 2) })
        : t('replenishment.explain.ses', { alpha: num(f.alpha ?? 0, 2) });
    const error =
      f.heldOut.wape === null
        ? t('replenishment.explain.error', { weeks: f.heldOut.weeks, origins: f.heldOut.origins, mae: num(f.heldOut.mae, 1) })
        : t('replenishment.explain.errorShare', { weeks: f.heldOut.weeks, origins: f.heldOut.origins, mae: num(f.heldOut.mae, 1), share: pct(f.heldOut.wape) });
    return `${method} ${error}`;
  };

  const chartData = selected
    ? [
        ...selected.history.map((units, i) => ({
          week: weekStart(i),
          sold: units,
          forecast: i === selected.history.length - 1 ? units : null,
        })),
        ...selected.forecast.forecast.map((units, h) => ({ week: weekStart(plan.weeks + h), sold: null, forecast: Math.round(units * 10) / 10 })),
      ]
    : [];
  const rowResult = (levelId: number) => (result?.levelId === String(levelId) ? result : undefined);

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('replenishment.title')}</h1>
        <AnalyticsNav />
      </div>
      <p className="muted">{t('replenishment.intro', { weeks: plan.weeks, review: plan.reviewWeeks, service: pct(plan.serviceLevel) })}</p>

      <Form method="get" className="filters" data-testid="replenishment-filters">
        <FilterSelect label={t('replenishment.columns.warehouse')} name="warehouse" value={params.get('warehouse')} options={warehouses} />
        <label className="field">
          <span>{t('replenishment.onlyDifferent')}</span>
          <input type="checkbox" name="different" value="1" defaultChecked={params.get('different') === '1'} />
        </label>
        <button type="submit">{t('common.filter')}</button>
      </Form>

      {result?.ok ? <Toast testId="accepted">{t('replenishment.accepted', result.ok)}</Toast> : null}
      {result?.errors || result?.error ? (
        <div className="form-error" role="alert" data-testid="accept-error">
          {result.error ? t(`errors.${result.error.code}`, result.error.params) : t('errors.validation_failed')}
          {result.errors?.map((e) => (
            <div key={e.field}>
              {t('replenishment.fieldError', { field: t(`replenishment.fields.${e.field}`, { defaultValue: e.field }), message: t(e.messageKey, e.params) })}
            </div>
          ))}
        </div>
      ) : null}

      {selected ? (
        <section className="card chart-card" data-testid="replenishment-chart">
          <h2>{t('replenishment.chartTitle', { sku: selected.sku, warehouse: selected.warehouse })}</h2>
          <p className="muted">{explain(selected)}</p>
          <p className="muted">
            {t('replenishment.suggestionExplained', {
              point: num(selected.suggestion.reorderPoint),
              leadDemand: num(selected.suggestion.leadTimeDemand, 1),
              leadDays: selected.leadTimeDays,
              safety: num(selected.suggestion.safetyStock, 1),
              service: pct(plan.serviceLevel),
              quantity: num(selected.suggestion.reorderQuantity),
              review: plan.reviewWeeks,
            })}{' '}
            {t(`replenishment.leadSource.${selected.leadTimeSource}`, { supplier: selected.supplier ?? '' })}
          </p>
          <ResponsiveContainer width="100%" height={240}>
            <LineChart data={chartData} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="week" minTickGap={24} />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip formatter={(v, name) => [num(Number(v), 1), name]} />
              <Legend />
              <Line dataKey="sold" name={t('replenishment.series.sold')} stroke={CHART_COLORS[0]} dot={false} isAnimationActive={false} connectNulls={false} />
              <Line
                dataKey="forecast"
                name={t('replenishment.series.forecast')}
                stroke={CHART_COLORS[1]}
                strokeDasharray="4 3"
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </section>
      ) : null}

      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="replenishment-table">
          <thead>
            <tr>
              <th>{t('replenishment.columns.sku')}</th>
              <th>{t('replenishment.columns.warehouse')}</th>
              <th className="num">{t('replenishment.columns.soldLast4')}</th>
              <th className="num">{t('replenishment.columns.forecastNext4')}</th>
              <th>{t('replenishment.columns.method')}</th>
              <th className="num">{t('replenishment.columns.leadTime')}</th>
              <th className="num">{t('replenishment.columns.available')}</th>
              <th className="num">{t('replenishment.columns.daysOfCover')}</th>
              <th className="num">{t('replenishment.columns.reorderPoint')}</th>
              <th className="num">{t('replenishment.columns.reorderQuantity')}</th>
              {canAccept ? <th>{t('replenishment.columns.accept')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {plan.rows.map((r) => {
              const own = rowResult(r.levelId);
              const same = r.reorderPoint === r.suggestion.reorderPoint && r.reorderQuantity === r.suggestion.reorderQuantity;
              return (
                <tr
                  key={r.levelId}
                  className={[r.differs ? 'low' : '', selected?.levelId === r.levelId ? 'selected' : ''].join(' ').trim()}
                  data-testid="replenishment-row"
                  data-level={r.levelId}
                >
                  <td>
                    <Link to={rowLink(r.levelId)} preventScrollReset title={t('replenishment.showChart')}>
                      <code>{r.sku}</code>
                    </Link>
                    <div className="muted small">{r.productName}</div>
                  </td>
                  <td>{r.warehouse}</td>
                  <td className="num">{num(r.soldLast4)}</td>
                  <td className="num">{num(r.forecastNext4, 1)}</td>
                  <td className="small" title={explain(r)}>
                    {t(`replenishment.method.${r.forecast.method}`)}
                    {r.forecast.heldOut ? (
                      <div className="muted">{t('replenishment.maeShort', { mae: num(r.forecast.heldOut.mae, 1) })}</div>
                    ) : (
                      <div className="muted">{t(`replenishment.fallback.${r.forecast.fallback ?? 'not_enough_history'}`)}</div>
                    )}
                  </td>
                  <td className="num">{t('replenishment.days', { days: r.leadTimeDays })}</td>
                  <td className="num">{num(r.atp)}</td>
                  <td className="num">{r.daysOfCover === null ? '—' : t('replenishment.days', { days: num(r.daysOfCover) })}</td>
                  <td className="num" data-testid="reorder-point">
                    {t('replenishment.currentToSuggested', { current: num(r.reorderPoint), suggested: num(r.suggestion.reorderPoint) })}
                  </td>
                  <td className="num" data-testid="reorder-quantity">
                    {t('replenishment.currentToSuggested', { current: num(r.reorderQuantity), suggested: num(r.suggestion.reorderQuantity) })}
                    {r.differs ? <span className="badge status-on_hold">{t('replenishment.differs')}</span> : null}
                  </td>
                  {canAccept ? (
                    <td>
                      <Form method="post" preventScrollReset>
                        <CsrfInput />
                        <input type="hidden" name="levelId" value={r.levelId} />
                        <input type="hidden" name="reorderPoint" value={r.suggestion.reorderPoint} />
                        <input type="hidden" name="reorderQuantity" value={r.suggestion.reorderQuantity} />
                        <button type="submit" disabled={same || navigation.state !== 'idle'} data-testid="accept">
                          {t('replenishment.accept')}
                        </button>
                      </Form>
                      {own?.errors?.map((e) => (
                        <FieldErrorText key={e.field} error={e} />
                      ))}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
        {plan.rows.length ? null : <p className="muted">{t('replenishment.empty')}</p>}
      </div>
    </>
  );
}
