import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate, useSearchParams } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { FilterSelect } from '../components/filter-select.tsx';
import { AnalyticsNav, reportsFor } from '../components/analytics-nav.tsx';
import { CompareField, RangeFields, RangePresets } from '../components/report-controls.tsx';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { forbidden, requireUser } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { resolveRange, todayIn } from '../modules/analytics/range.ts';
import { ReportQuery, salesReport, type Granularity, type SalesFigures } from '../modules/analytics/reports.server.ts';
import { paymentMethods } from '../modules/analytics/payment-methods.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  if (!can(user.role, 'analytics.view')) {
    // Agents and warehouse staff read their own reports: the area opens on the first of them.
    const first = reportsFor(user.role)[0];
    throw first ? redirect(first.path) : forbidden('analytics.view');
  }
  const { config } = context;
  const q = ReportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(config.BUSINESS_TIME_ZONE);
  const range = resolveRange(q, todayIso);
  const [report, methods, channels, warehouses] = await Promise.all([
    salesReport(em, q, config.BUSINESS_TIME_ZONE, todayIso),
    paymentMethods(em, range.from, range.to, { channel: q.channel, warehouse: q.warehouse, country: q.country }),
    em.execute<{ code: string }[]>('select code from channel order by code'),
    em.execute<{ code: string }[]>('select code from warehouse order by code'),
  ]);
  return {
    report,
    methods,
    query: q,
    today: todayIso,
    currency: config.BASE_CURRENCY,
    channels: channels.map((c) => c.code),
    warehouses: warehouses.map((w) => w.code),
  };
}

const DAY = 86_400_000;
const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };
const GROUPINGS: readonly Granularity[] = ['hour', 'day', 'week', 'month'];
const KPIS = [
  { key: 'revenue', money: true },
  { key: 'orders', money: false },
  { key: 'aov', money: true },
  { key: 'units', money: false },
] as const;
const BREAKDOWNS = ['channel', 'country', 'warehouse'] as const;
const shift = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** The last day of the bucket that starts at `bucket` (clipped to the report's end). */
function bucketEnd(bucket: string, g: Granularity, to: string): string {
  const day = bucket.slice(0, 10);
  const end =
    g === 'week'
      ? shift(day, 6)
      : g === 'month'
        ? shift(`${day.slice(0, 7)}-01`, new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7), 0)).getUTCDate() - 1)
        : day;
  return end > to ? to : end;
}

export default function Analytics() {
  const { report, methods, query, today, currency, channels, warehouses } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const chart = useRef<HTMLDivElement>(null);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const num = (n: number) => formatNumber(n, locale);
  const g = report.granularity;

  const withRange = (from: string, to: string, extra: Record<string, string> = {}) => {
    const p = new URLSearchParams(params);
    p.set('from', from);
    p.set('to', to);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return `?${p}`;
  };

  /** The orders behind a bucket (or a whole breakdown row): the orders list with the same range and filters. */
  const ordersOf = (from: string, to: string, extra: Record<string, string | undefined> = {}) => {
    const p = new URLSearchParams({ from, to });
    const f = { channel: query.channel, warehouse: query.warehouse, ...extra };
    for (const [k, v] of Object.entries(f)) if (v && v !== 'none') p.set(k, v);
    return `/orders?${p}`;
  };

  const data = report.series.map((p, i) => ({
    ...p,
    previousRevenue: report.previous?.series[i]?.revenue ?? null,
    previousOrders: report.previous?.series[i]?.orders ?? null,
  }));

  const kpi = (key: 'revenue' | 'orders' | 'aov' | 'units', format: (n: number) => string) => {
    const now = report.totals[key];
    const then = report.previous?.totals[key];
    const pct = then ? (now - then) / then : null;
    return (
      <div key={key} className="tile kpi" data-testid={`total-${key}`}>
        <span className="tile-label">{t(`analytics.kpi.${key}`)}</span>
        <span className="tile-value num" data-minor={now}>
          {format(now)}
        </span>
        {then !== undefined ? (
          <span className={`delta ${pct === null ? 'flat' : pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat'}`}>
            {pct === null
              ? t('analytics.previousWas', { value: format(then) })
              : t('analytics.vsPrevious', {
                  pct: formatNumber(pct, locale, { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 1 }),
                  value: format(then),
                })}
          </span>
        ) : null}
      </div>
    );
  };

  const exportCsv = () =>
    downloadCsv(
      `sales-${report.from}-${report.to}.csv`,
      data.map((p) => ({
        [t('analytics.csv.bucket')]: p.bucket,
        [t('analytics.csv.orders')]: p.orders,
        [t('analytics.csv.cancelled')]: p.cancelled,
        [t('analytics.csv.units')]: p.units,
        [t('analytics.csv.revenue', { currency })]: (p.revenue / 100).toFixed(2),
        [t('analytics.csv.previousRevenue', { currency })]: p.previousRevenue === null ? null : (p.previousRevenue / 100).toFixed(2),
      })),
    );

  const breakdownTable = (filter: (typeof BREAKDOWNS)[number], rows: (SalesFigures & { key: string })[]) => (
    <section key={filter} className="card" data-testid={`by-${filter}`}>
      <h2>{t(`analytics.byTitle.${filter}`)}</h2>
      {rows.length ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table">
            <thead>
              <tr>
                <th>{t(`analytics.by.${filter}`)}</th>
                <th className="num">{t('analytics.kpi.orders')}</th>
                <th className="num">{t('analytics.kpi.revenue')}</th>
                <th className="num">{t('analytics.share')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key}>
                  <td>
                    <Link to={withRange(report.from, report.to, { [filter]: r.key })}>{r.key === 'none' ? t('analytics.notRouted') : r.key}</Link>
                  </td>
                  <td className="num">
                    <Link to={ordersOf(report.from, report.to, filter === 'country' ? {} : { [filter]: r.key })}>{num(r.orders)}</Link>
                  </td>
                  <td className="num">{money(r.revenue)}</td>
                  <td className="num">{report.totals.revenue ? formatNumber(r.revenue / report.totals.revenue, locale, PERCENT) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{t('analytics.noSales')}</p>
      )}
    </section>
  );

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.analytics')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <Form method="get" className="filters" data-testid="report-filters">
        <RangeFields from={report.from} to={report.to} />
        <label className="field">
          <span>{t('analytics.granularity')}</span>
          <select name="granularity" defaultValue={g}>
            {GROUPINGS.map((x) => (
              <option key={x} value={x}>
                {t(`analytics.by.${x}`)}
              </option>
            ))}
          </select>
        </label>
        <FilterSelect label={t('analytics.by.channel')} name="channel" value={query.channel} options={channels} />
        <FilterSelect label={t('analytics.by.warehouse')} name="warehouse" value={query.warehouse} options={warehouses} />
        <label className="field">
          <span>{t('analytics.by.country')}</span>
          <input name="country" defaultValue={query.country ?? ''} maxLength={2} size={3} placeholder="US" />
        </label>
        <CompareField value={query.compare} />
        <button type="submit">{t('common.filter')}</button>
      </Form>

      <div className="tiles">{KPIS.map((k) => kpi(k.key, k.money ? money : num))}</div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('analytics.salesOverTime')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`sales-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('analytics.drillHint')}</p>
        <div ref={chart} data-testid="sales-chart">
          <ResponsiveContainer width="100%" height={300}>
            <ComposedChart
              data={data}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const bucket = typeof e?.activeLabel === 'string' ? e.activeLabel : null;
                if (bucket) navigate(ordersOf(bucket.slice(0, 10), bucketEnd(bucket, g, report.to)));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="bucket" tickFormatter={(v: string) => formatBucket(v, locale, g)} minTickGap={16} />
              <YAxis tickFormatter={(v: number) => formatNumber(v / 100, locale, { notation: 'compact' })} width={48} />
              <Tooltip labelFormatter={(v) => formatBucket(String(v), locale, g)} formatter={(v, name) => [money(Number(v)), name]} />
              <Legend />
              <Bar dataKey="revenue" name={t('analytics.series.revenue')} fill={CHART_COLORS[0]} isAnimationActive={false} cursor="pointer" />
              {report.previous ? (
                <Line
                  dataKey="previousRevenue"
                  name={t('analytics.series.previousRevenue')}
                  stroke={CHART_COLORS[1]}
                  dot={false}
                  strokeDasharray="4 3"
                  isAnimationActive={false}
                />
              ) : null}
            </ComposedChart>
          </ResponsiveContainer>
        </div>
        <table className="data-table series-table" data-testid="series-table">
          <thead>
            <tr>
              <th>{t('analytics.csv.bucket')}</th>
              <th className="num">{t('analytics.kpi.orders')}</th>
              <th className="num">{t('analytics.kpi.revenue')}</th>
              {report.previous ? <th className="num">{t('analytics.series.previousRevenue')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.bucket}>
                <td>
                  <Link to={ordersOf(p.bucket.slice(0, 10), bucketEnd(p.bucket, g, report.to))} data-testid="drill">
                    {formatBucket(p.bucket, locale, g)}
                  </Link>
                </td>
                <td className="num">{num(p.orders)}</td>
                <td className="num">{money(p.revenue)}</td>
                {report.previous ? <td className="num">{p.previousRevenue === null ? '—' : money(p.previousRevenue)}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="card chart-card">
        <h2>{t('analytics.fulfilment')}</h2>
        <p className="muted">
          {t('analytics.fulfilmentSummary', {
            shipped: num(report.totals.shipped),
            late: report.totals.shipped ? formatNumber(report.totals.shippedLate / report.totals.shipped, locale, PERCENT) : '—',
            hours: report.totals.shipHours === null ? '—' : num(report.totals.shipHours),
            cancelled: report.totals.orders ? formatNumber(report.totals.cancelled / report.totals.orders, locale, PERCENT) : '—',
          })}
        </p>
        <ResponsiveContainer width="100%" height={220}>
          <ComposedChart data={report.series} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="bucket" tickFormatter={(v: string) => formatBucket(v, locale, g)} minTickGap={16} />
            <YAxis yAxisId="n" allowDecimals={false} width={40} />
            <YAxis yAxisId="h" orientation="right" width={40} />
            <Tooltip labelFormatter={(v) => formatBucket(String(v), locale, g)} formatter={(v, name) => [num(Number(v)), name]} />
            <Legend />
            <Bar yAxisId="n" dataKey="shipped" name={t('analytics.series.shipped')} fill={CHART_COLORS[2]} isAnimationActive={false} />
            <Bar yAxisId="n" dataKey="shippedLate" name={t('analytics.series.shippedLate')} fill={CHART_COLORS[3]} isAnimationActive={false} />
            <Line
              yAxisId="h"
              dataKey="shipHours"
              name={t('analytics.series.shipHours')}
              stroke={CHART_COLORS[4]}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
          </ComposedChart>
        </ResponsiveContainer>
      </section>

      <section className="card" data-testid="payment-methods">
        <h2>{t('opsReports.payments.title')}</h2>
        <p className="muted">{t('opsReports.payments.hint')}</p>
        {methods.length ? (
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('opsReports.method')}</th>
                  <th className="num">{t('analytics.kpi.orders')}</th>
                  <th className="num">{t('opsReports.payments.orderShare')}</th>
                  <th className="num">{t('analytics.kpi.revenue')}</th>
                  <th className="num">{t('opsReports.payments.revenueShare')}</th>
                  <th className="num">{t('opsReports.failed')}</th>
                  <th className="num">{t('opsReports.failureRate')}</th>
                </tr>
              </thead>
              <tbody>
                {methods.map((m) => (
                  <tr key={m.method}>
                    <td>{t(`paymentMethods.${m.method}`, { defaultValue: m.method })}</td>
                    <td className="num">
                      <Link to={ordersOf(report.from, report.to, { paymentMethod: m.method, country: query.country })}>{num(m.orders)}</Link>
                    </td>
                    <td className="num">{m.orderShare === null ? '—' : formatNumber(m.orderShare, locale, PERCENT)}</td>
                    <td className="num">{money(m.revenue)}</td>
                    <td className="num">{m.revenueShare === null ? '—' : formatNumber(m.revenueShare, locale, PERCENT)}</td>
                    <td className="num">
                      {m.failed ? (
                        <Link to={ordersOf(report.from, report.to, { paymentMethod: m.method, paymentFailed: 'any', country: query.country })}>
                          {num(m.failed)}
                        </Link>
                      ) : (
                        num(0)
                      )}
                    </td>
                    <td className="num">{m.failureRate === null ? '—' : formatNumber(m.failureRate, locale, PERCENT)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('analytics.noSales')}</p>
        )}
      </section>

      <div className="grid-3">
        {BREAKDOWNS.map((dim) =>
          breakdownTable(
            dim,
            dim === 'channel'
              ? report.byChannel.map(({ channel, ...r }) => ({ key: channel, ...r }))
              : dim === 'country'
                ? report.byCountry.map(({ country, ...r }) => ({ key: country, ...r }))
                : report.byWarehouse.map(({ warehouse, ...r }) => ({ key: warehouse, ...r })),
          ),
        )}
      </div>
    </>
  );
}
