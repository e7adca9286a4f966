import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { CompareField, RangeFields, RangePresets, useQueryWith } from '../components/report-controls.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { useLocale } from '../components/format.tsx';
import { requireUser } from '../lib/auth.server.ts';
import { formatDate, formatMoney, formatNumber } from '../lib/format.ts';
import { todayIn } from '../modules/analytics/range.ts';
import { productsReport, ProductsQuery, type ProductRow } from '../modules/analytics/products.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.view');
  const { config } = context;
  const q = ProductsQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(config.BUSINESS_TIME_ZONE);
  const [report, channels, warehouses, categories] = await Promise.all([
    productsReport(em, q, todayIso, config.BASE_CURRENCY),
    em.execute<{ code: string }[]>('select code from channel order by code'),
    em.execute<{ code: string }[]>('select code from warehouse order by code'),
    em.execute<{ category: string }[]>('select distinct category from product where category is not null order by category'),
  ]);
  return {
    report,
    query: q,
    today: todayIso,
    currency: config.BASE_CURRENCY,
    channels: channels.map((c) => c.code),
    warehouses: warehouses.map((w) => w.code),
    categories: categories.map((c) => c.category),
  };
}

const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };
const CHANGE: Intl.NumberFormatOptions = { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 1 };
const DEFINITIONS = ['units', 'turnover', 'daysOfCover', 'stockoutRate', 'dead', 'slow', 'value', 'channel'] as const;
const TOPS = [5, 10, 20, 50];
const IDLE_DAYS = [30, 60, 90, 180];

export default function ProductsReport() {
  const { report, query, today, currency, channels, warehouses, categories } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const withQuery = useQueryWith();
  const chart = useRef<HTMLDivElement>(null);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const num = (n: number) => formatNumber(n, locale);
  const dec = (n: number | null, digits = 1) => (n === null ? '—' : formatNumber(n, locale, { maximumFractionDigits: digits }));
  const pct = (n: number | null) => (n === null ? '—' : formatNumber(n, locale, PERCENT));
  const change = (now: number, then: number | null) => {
    if (then === null) return null;
    const p = then ? (now - then) / then : null;
    return (
      <span className={`delta ${p === null ? 'flat' : p > 0 ? 'up' : p < 0 ? 'down' : 'flat'}`}>
        {p === null ? t('analytics.previousWas', { value: num(then) }) : formatNumber(p, locale, CHANGE)}
      </span>
    );
  };

  /** The orders with this product in the range (and the report's channel and warehouse). */
  const ordersOf = (sku: string) => {
    const p = new URLSearchParams({ sku, from: report.from, to: report.to });
    if (query.channel) p.set('channel', query.channel);
    if (query.warehouse && query.warehouse !== 'none') p.set('warehouse', query.warehouse);
    return `/orders?${p}`;
  };
  const inventoryOf = (sku: string) => {
    const p = new URLSearchParams({ q: sku });
    if (query.warehouse && query.warehouse !== 'none') p.set('warehouse', query.warehouse);
    return `/inventory?${p}`;
  };

  const top = report.rows.slice(0, query.top);
  const chartData = top.map((r) => ({
    sku: r.sku,
    name: r.name,
    value: query.sort === 'units' ? r.units : r.revenue,
    previous: query.sort === 'units' ? r.previousUnits : r.previousRevenue,
  }));
  const measure = (v: number) => (query.sort === 'units' ? num(v) : money(v));
  const s = report.stock;

  const exportCsv = () =>
    downloadCsv(
      `products-${report.from}-${report.to}.csv`,
      report.rows.map((r) => ({
        [t('productReports.csv.sku')]: r.sku,
        [t('productReports.csv.name')]: r.name,
        [t('productReports.csv.category')]: r.category ?? '',
        [t('productReports.csv.orders')]: r.orders,
        [t('productReports.csv.units')]: r.units,
        [t('productReports.csv.revenue', { currency })]: (r.revenue / 100).toFixed(2),
        [t('productReports.csv.previousUnits')]: r.previousUnits,
        [t('productReports.csv.previousRevenue', { currency })]: r.previousRevenue === null ? null : (r.previousRevenue / 100).toFixed(2),
        [t('productReports.csv.onHand')]: r.onHand,
        [t('productReports.csv.averageOnHand')]: r.averageOnHand,
        [t('productReports.csv.turnover')]: r.turnover,
        [t('productReports.csv.daysOfCover')]: r.daysOfCover,
        [t('productReports.csv.stockoutDays')]: r.stockoutDays,
      })),
    );

  const kpi = (key: string, value: string, extra?: React.ReactNode, minor?: number) => (
    <div key={key} className="tile kpi" data-testid={`kpi-${key}`}>
      <span className="tile-label">{t(`productReports.kpi.${key}`)}</span>
      <span className="tile-value num" data-value={minor}>
        {value}
      </span>
      {extra}
    </div>
  );

  const tiles = [
    kpi('revenue', money(report.totals.revenue), change(report.totals.revenue, report.totals.previousRevenue), report.totals.revenue),
    kpi('units', num(report.totals.units), change(report.totals.units, report.totals.previousUnits), report.totals.units),
    kpi('turnover', dec(s.turnover, 2), <span className="delta">{t('productReports.annualPace', { value: dec(s.annualTurnover) })}</span>),
    kpi('daysOfCover', dec(s.daysOfCover)),
    kpi('stockoutRate', pct(s.stockoutRate), <span className="delta">{t('productReports.outNow', { count: s.outNow })}</span>),
    kpi('deadStock', money(s.dead.value), <span className="delta">{t('productReports.skus', { count: s.dead.skus })}</span>, s.dead.value),
  ];

  const productRow = (r: ProductRow) => (
    <tr key={r.productId} data-testid="product-row" data-sku={r.sku}>
      <td>
        <Link to={ordersOf(r.sku)} data-testid="product-orders">
          {r.sku}
        </Link>
        <div className="muted small">{r.name}</div>
      </td>
      <td>{r.category ?? '—'}</td>
      <td className="num">{num(r.units)}</td>
      <td className="num">
        {money(r.revenue)} {change(r.revenue, r.previousRevenue)}
      </td>
      <td className="num">
        <Link to={inventoryOf(r.sku)} data-testid="product-inventory">
          {num(r.onHand)}
        </Link>
      </td>
      <td className="num">{dec(r.turnover, 2)}</td>
      <td className="num">{dec(r.daysOfCover)}</td>
      <td className="num">{r.stockDays ? pct(r.stockoutDays / r.stockDays) : '—'}</td>
    </tr>
  );

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('productReports.title')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <Form method="get" className="filters" data-testid="report-filters">
        <RangeFields from={report.from} to={report.to} />
        <FilterSelect label={t('analytics.by.channel')} name="channel" value={query.channel} options={channels} />
        <FilterSelect label={t('analytics.by.warehouse')} name="warehouse" value={query.warehouse} options={warehouses} />
        <FilterSelect label={t('productReports.category')} name="category" value={query.category} options={categories} />
        <label className="field">
          <span>{t('productReports.top')}</span>
          <select name="top" defaultValue={String(query.top)}>
            {[...new Set([...TOPS, query.top])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={n}>
                  {num(n)}
                </option>
              ))}
          </select>
        </label>
        <label className="field">
          <span>{t('productReports.rankBy')}</span>
          <select name="sort" defaultValue={query.sort}>
            <option value="revenue">{t('productReports.columns.revenue')}</option>
            <option value="units">{t('productReports.columns.units')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t('productReports.idleDays')}</span>
          <select name="idle" defaultValue={String(query.idle)}>
            {[...new Set([...IDLE_DAYS, query.idle])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={n}>
                  {t('productReports.days', { count: n })}
                </option>
              ))}
          </select>
        </label>
        <CompareField value={query.compare} />
        <button type="submit">{t('common.filter')}</button>
      </Form>

      <div className="tiles">{tiles}</div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('productReports.topTitle', { count: top.length, measure: t(`productReports.columns.${query.sort}`) })}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`products-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted small">{t('productReports.drillHint')}</p>
        {top.length ? (
          <div ref={chart} data-testid="products-chart">
            <ResponsiveContainer width="100%" height={Math.max(160, 28 * top.length + 60)}>
              <BarChart
                data={chartData}
                layout="vertical"
                margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
                onClick={(e) => {
                  const index = typeof e?.activeTooltipIndex === 'number' ? e.activeTooltipIndex : Number(e?.activeTooltipIndex);
                  const row = Number.isInteger(index) ? chartData[index] : undefined;
                  if (row) navigate(ordersOf(row.sku));
                }}
              >
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" tickFormatter={(v: number) => formatNumber(query.sort === 'units' ? v : v / 100, locale, { notation: 'compact' })} />
                <YAxis type="category" dataKey="sku" width={96} tick={{ fontSize: 11 }} />
                <Tooltip
                  labelFormatter={(v) => {
                    const r = chartData.find((x) => x.sku === v);
                    return r ? `${r.sku} · ${r.name}` : String(v);
                  }}
                  formatter={(v, name) => [measure(Number(v)), name]}
                />
                <Legend />
                <Bar dataKey="value" name={t('productReports.series.current')} fill={CHART_COLORS[0]} isAnimationActive={false} cursor="pointer" />
                {report.previous ? (
                  <Bar dataKey="previous" name={t('productReports.series.previous')} fill={CHART_COLORS[1]} isAnimationActive={false} />
                ) : null}
              </BarChart>
            </ResponsiveContainer>
          </div>
        ) : (
          <p className="muted">{t('analytics.noSales')}</p>
        )}
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="products-table">
            <thead>
              <tr>
                <th>{t('productReports.columns.product')}</th>
                <th>{t('productReports.category')}</th>
                <th className="num">{t('productReports.columns.units')}</th>
                <th className="num">{t('productReports.columns.revenue')}</th>
                <th className="num">{t('productReports.columns.onHand')}</th>
                <th className="num" title={t('productReports.define.turnover')}>
                  {t('productReports.columns.turnover')}
                </th>
                <th className="num" title={t('productReports.define.daysOfCover')}>
                  {t('productReports.columns.daysOfCover')}
                </th>
                <th className="num" title={t('productReports.define.stockoutRate')}>
                  {t('productReports.columns.stockoutRate')}
                </th>
              </tr>
            </thead>
            <tbody>{top.map(productRow)}</tbody>
          </table>
        </div>
      </section>

      <section className="card chart-card" data-testid="stock-over-time">
        <h2>{t('productReports.overTime')}</h2>
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={report.daily} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" tickFormatter={(v: string) => formatBucket(v, locale, 'day')} minTickGap={16} />
            <YAxis yAxisId="u" allowDecimals={false} width={44} />
            <YAxis yAxisId="s" orientation="right" width={52} tickFormatter={(v: number) => formatNumber(v, locale, { notation: 'compact' })} />
            <Tooltip labelFormatter={(v) => formatBucket(String(v), locale, 'day')} formatter={(v, name) => [num(Number(v)), name]} />
            <Legend />
            <Bar yAxisId="u" dataKey="units" name={t('productReports.series.units')} fill={CHART_COLORS[0]} isAnimationActive={false} />
            <Bar yAxisId="u" dataKey="outOfStock" name={t('productReports.series.outOfStock')} fill={CHART_COLORS[3]} isAnimationActive={false} />
            <Line
              yAxisId="s"
              dataKey="onHand"
              name={t('productReports.series.onHand')}
              stroke={CHART_COLORS[2]}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
          </ComposedChart>
        </ResponsiveContainer>
      </section>

      <div className="grid-2">
        <section className="card" data-testid="by-category">
          <h2>{t('productReports.byCategory')}</h2>
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('productReports.category')}</th>
                  <th className="num">{t('productReports.columns.skus')}</th>
                  <th className="num">{t('productReports.columns.units')}</th>
                  <th className="num">{t('productReports.columns.revenue')}</th>
                  <th className="num">{t('analytics.share')}</th>
                </tr>
              </thead>
              <tbody>
                {report.categories.map((c) => (
                  <tr key={c.category ?? ''} data-testid="category-row" data-category={c.category ?? ''}>
                    <td>{c.category ? <Link to={withQuery({ category: c.category })}>{c.category}</Link> : t('productReports.noCategory')}</td>
                    <td className="num">{num(c.skus)}</td>
                    <td className="num">
                      {num(c.units)} {change(c.units, c.previousUnits)}
                    </td>
                    <td className="num">{money(c.revenue)}</td>
                    <td className="num">{report.totals.revenue ? pct(c.revenue / report.totals.revenue) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section className="card" data-testid="stock-health">
          <h2>{t('productReports.stockHealth')}</h2>
          <dl className="kpis">
            <div>
              <dt>{t('productReports.stock.skus')}</dt>
              <dd>{num(s.skus)}</dd>
            </div>
            <div>
              <dt>{t('productReports.stock.onHand')}</dt>
              <dd>{num(s.onHand)}</dd>
            </div>
            <div>
              <dt>{t('productReports.stock.value')}</dt>
              <dd>{money(s.value)}</dd>
            </div>
            <div>
              <dt>{t('productReports.stock.averageOnHand')}</dt>
              <dd>{dec(s.averageOnHand)}</dd>
            </div>
            <div>
              <dt>{t('productReports.stock.stockoutSkuDays')}</dt>
              <dd>
                {num(s.stockoutSkuDays)} / {num(s.skuDays)}
              </dd>
            </div>
            <div>
              <dt>{t('productReports.stock.slow')}</dt>
              <dd>
                {num(s.slow.skus)} · {money(s.slow.value)}
              </dd>
            </div>
          </dl>
          {s.uncostedSkus ? <p className="muted small">{t('productReports.uncostedStock', { count: s.uncostedSkus })}</p> : null}
          <details className="small" data-testid="definitions">
            <summary>{t('productReports.howTitle')}</summary>
            <ul>
              {DEFINITIONS.map((k) => (
                <li key={k}>{t(`productReports.define.${k}`, { days: report.idleDays, cover: report.slowCoverDays, currency })}</li>
              ))}
            </ul>
          </details>
        </section>
      </div>

      <section className="card" data-testid="idle-stock">
        <h2>{t('productReports.idleTitle', { days: report.idleDays, cover: report.slowCoverDays })}</h2>
        {s.dead.skus + s.slow.skus > report.idle.length ? (
          <p className="muted small">{t('productReports.idleListed', { shown: num(report.idle.length), total: num(s.dead.skus + s.slow.skus) })}</p>
        ) : null}
        {report.idle.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('productReports.columns.product')}</th>
                  <th>{t('productReports.columns.kind')}</th>
                  <th className="num">{t('productReports.columns.onHand')}</th>
                  <th className="num">{t('productReports.columns.value')}</th>
                  <th>{t('productReports.columns.lastSale')}</th>
                  <th className="num">{t('productReports.columns.daysOfCover')}</th>
                </tr>
              </thead>
              <tbody>
                {report.idle.map((r) => (
                  <tr key={r.productId} data-testid="idle-row" data-sku={r.sku} data-kind={r.kind}>
                    <td>
                      <Link to={inventoryOf(r.sku)}>{r.sku}</Link>
                      <div className="muted small">{r.name}</div>
                    </td>
                    <td>{t(`productReports.kind.${r.kind}`)}</td>
                    <td className="num">{num(r.onHand)}</td>
                    <td className="num">{r.value === null ? '—' : money(r.value)}</td>
                    <td>
                      {r.kind === 'dead' ? (
                        r.lastSale ? (
                          <time dateTime={r.lastSale}>{formatDate(r.lastSale, locale, 'UTC')}</time>
                        ) : (
                          t('productReports.neverSold')
                        )
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="num">{dec(r.daysOfCover)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('productReports.noIdle')}</p>
        )}
      </section>
    </>
  );
}
