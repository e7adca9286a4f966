import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { CompareField, RangeFields, RangePresets, useQueryWith } from '../components/report-controls.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { DateTime, useLocale } from '../components/format.tsx';
import { requireUser } from '../lib/auth.server.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { addDays, todayIn } from '../modules/analytics/range.ts';
import { marginReport, MarginQuery, type MarginFigures, type MarginGranularity } from '../modules/analytics/margin.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.view');
  const { config } = context;
  const q = MarginQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(config.BUSINESS_TIME_ZONE);
  const [report, channels, warehouses] = await Promise.all([
    marginReport(em, q, todayIso),
    em.execute<{ code: string }[]>('select code from channel order by code'),
    em.execute<{ code: string }[]>('select code from warehouse order by code'),
  ]);
  return {
    report,
    query: q,
    today: todayIso,
    currency: config.BASE_CURRENCY,
    channels: channels.map((c) => c.code),
    warehouses: warehouses.map((w) => w.code),
  };
}

const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };
const CHANGE: Intl.NumberFormatOptions = { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 1 };
const POINTS: Intl.NumberFormatOptions = { signDisplay: 'exceptZero', maximumFractionDigits: 1 };
const GROUPINGS: readonly MarginGranularity[] = ['day', 'week', 'month'];
const KPIS = ['revenue', 'goodsCost', 'shippingCost', 'margin', 'rate', 'perOrder'] as const;
const HOW = ['revenue', 'goodsCost', 'shippingCost', 'margin', 'unknown'] as const;

/** The last day of the bucket that starts at `bucket` (clipped to the report's end). */
function bucketEnd(bucket: string, g: MarginGranularity, to: string): string {
  const end =
    g === 'week'
      ? addDays(bucket, 6)
      : g === 'month'
        ? addDays(`${bucket.slice(0, 7)}-01`, new Date(Date.UTC(+bucket.slice(0, 4), +bucket.slice(5, 7), 0)).getUTCDate() - 1)
        : bucket;
  return end > to ? to : end;
}

export default function MarginReport() {
  const { report, query, today, currency, channels, warehouses } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const withQuery = useQueryWith();
  const chart = useRef<HTMLDivElement>(null);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const num = (n: number) => formatNumber(n, locale);
  const pct = (n: number | null) => (n === null ? '—' : formatNumber(n, locale, PERCENT));
  const g = report.granularity;

  const ordersOf = (from: string, to: string, channel = query.channel) => {
    const p = new URLSearchParams({ from, to });
    if (channel) p.set('channel', channel);
    if (query.warehouse && query.warehouse !== 'none') p.set('warehouse', query.warehouse);
    return `/orders?${p}`;
  };

  const kpi = (key: (typeof KPIS)[number]) => {
    const now = report.totals[key];
    const then = report.previous?.totals[key];
    const show = (v: number | null) => (v === null ? '—' : key === 'rate' ? pct(v) : money(v));
    let delta = null;
    if (then !== undefined && now !== null && then !== null) {
      if (key === 'rate') delta = t('productReports.margin.points', { value: formatNumber((now - then) * 100, locale, POINTS) });
      else if (then) delta = formatNumber((now - then) / Math.abs(then), locale, CHANGE);
    }
    const better = key === 'goodsCost' || key === 'shippingCost' ? (now ?? 0) < (then ?? 0) : (now ?? 0) > (then ?? 0);
    return (
      <div key={key} className="tile kpi" data-testid={`kpi-${key}`}>
        <span className="tile-label">{t(`productReports.margin.kpi.${key}`)}</span>
        <span className="tile-value num" data-value={now ?? ''}>
          {show(now)}
        </span>
        {then !== undefined ? (
          <span className={`delta ${delta === null || now === then ? 'flat' : better ? 'up' : 'down'}`}>
            {delta ?? t('analytics.previousWas', { value: show(then) })}
          </span>
        ) : null}
      </div>
    );
  };

  const data = report.series.map((p) => ({ ...p, ratePct: p.rate === null ? null : Math.round(p.rate * 1000) / 10 }));

  const exportCsv = () =>
    downloadCsv(
      `margin-${report.from}-${report.to}.csv`,
      report.series.map((p) => ({
        [t('productReports.margin.csv.bucket')]: p.bucket,
        [t('productReports.margin.csv.orders')]: p.orders,
        [t('productReports.margin.csv.revenue', { currency })]: (p.revenue / 100).toFixed(2),
        [t('productReports.margin.csv.goodsCost', { currency })]: (p.goodsCost / 100).toFixed(2),
        [t('productReports.margin.csv.shippingCost', { currency })]: (p.shippingCost / 100).toFixed(2),
        [t('productReports.margin.csv.margin', { currency })]: (p.margin / 100).toFixed(2),
        [t('productReports.margin.csv.rate')]: p.rate === null ? null : p.rate.toFixed(4),
        [t('productReports.margin.csv.uncostedUnits')]: p.uncostedUnits,
        [t('productReports.margin.csv.uncostedParcels')]: p.uncostedParcels,
      })),
    );

  const figuresCells = (r: MarginFigures) => (
    <>
      <td className="num">{money(r.revenue)}</td>
      <td className="num">{money(r.goodsCost)}</td>
      <td className="num">{money(r.shippingCost)}</td>
      <td className="num">{money(r.margin)}</td>
      <td className="num">{pct(r.rate)}</td>
      <td className="num">{r.perOrder === null ? '—' : money(r.perOrder)}</td>
    </>
  );
  const figuresHead = (
    <>
      <th className="num">{t('productReports.margin.kpi.revenue')}</th>
      <th className="num">{t('productReports.margin.kpi.goodsCost')}</th>
      <th className="num">{t('productReports.margin.kpi.shippingCost')}</th>
      <th className="num">{t('productReports.margin.kpi.margin')}</th>
      <th className="num">{t('productReports.margin.kpi.rate')}</th>
      <th className="num">{t('productReports.margin.kpi.perOrder')}</th>
    </>
  );
  const tot = report.totals;
  const bandData = report.bands.map((b) => ({ ...b, label: t(`productReports.margin.band.${b.band}`) }));

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('productReports.margin.title')}</h1>
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
        <CompareField value={query.compare} />
        <button type="submit">{t('common.filter')}</button>
      </Form>

      <div className="tiles">{KPIS.map(kpi)}</div>
      {tot.incomplete ? (
        <p className="notice warning" data-testid="unknown-costs">
          {t('productReports.margin.unknown', { orders: num(tot.incomplete), units: num(tot.uncostedUnits), parcels: num(tot.uncostedParcels) })}
        </p>
      ) : null}

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('productReports.margin.overTime')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`margin-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted small">{t('productReports.margin.drillHint')}</p>
        <div ref={chart} data-testid="margin-chart">
          <ResponsiveContainer width="100%" height={300}>
            <ComposedChart
              data={data}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const bucket = typeof e?.activeLabel === 'string' ? e.activeLabel : null;
                if (bucket) navigate(ordersOf(bucket, bucketEnd(bucket, g, report.to)));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="bucket" tickFormatter={(v: string) => formatBucket(v, locale, g)} minTickGap={16} />
              <YAxis yAxisId="m" tickFormatter={(v: number) => formatNumber(v / 100, locale, { notation: 'compact' })} width={48} />
              <YAxis yAxisId="p" orientation="right" unit="%" width={44} />
              <Tooltip
                labelFormatter={(v) => formatBucket(String(v), locale, g)}
                formatter={(v, name, item) => [item.dataKey === 'ratePct' ? `${formatNumber(Number(v), locale)}%` : money(Number(v)), name]}
              />
              <Legend />
              <Bar
                yAxisId="m"
                stackId="r"
                dataKey="goodsCost"
                name={t('productReports.margin.kpi.goodsCost')}
                fill={CHART_COLORS[1]}
                isAnimationActive={false}
              />
              <Bar
                yAxisId="m"
                stackId="r"
                dataKey="shippingCost"
                name={t('productReports.margin.kpi.shippingCost')}
                fill={CHART_COLORS[5]}
                isAnimationActive={false}
              />
              <Bar
                yAxisId="m"
                stackId="r"
                dataKey="margin"
                name={t('productReports.margin.kpi.margin')}
                fill={CHART_COLORS[2]}
                isAnimationActive={false}
                cursor="pointer"
              />
              <Line
                yAxisId="p"
                dataKey="ratePct"
                name={t('productReports.margin.kpi.rate')}
                stroke={CHART_COLORS[4]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
        <p className="muted small">{t('productReports.margin.stackHint')}</p>
      </section>

      <section className="card" data-testid="margin-by-channel">
        <h2>{t('productReports.margin.byChannel')}</h2>
        {report.byChannel.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('analytics.by.channel')}</th>
                  <th className="num">{t('productReports.margin.orders')}</th>
                  {figuresHead}
                </tr>
              </thead>
              <tbody>
                {report.byChannel.map((c) => (
                  <tr key={c.channel} data-testid="channel-row" data-channel={c.channel}>
                    <td>
                      <Link to={withQuery({ channel: c.channel })}>{c.channel}</Link>
                    </td>
                    <td className="num">
                      <Link to={ordersOf(report.from, report.to, c.channel)}>{num(c.orders)}</Link>
                    </td>
                    {figuresCells(c)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('analytics.noSales')}</p>
        )}
      </section>

      <div className="grid-2">
        <section className="card" data-testid="margin-bands">
          <h2>{t('productReports.margin.bandsTitle')}</h2>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={bandData} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" interval={0} tick={{ fontSize: 10 }} />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip formatter={(v) => [num(Number(v)), t('productReports.margin.orders')]} />
              <Bar dataKey="orders" name={t('productReports.margin.orders')} fill={CHART_COLORS[0]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </section>
        <section className="card" data-testid="margin-how">
          <h2>{t('productReports.margin.howTitle')}</h2>
          <ul className="small">
            {HOW.map((k) => (
              <li key={k}>{t(`productReports.margin.how.${k}`, { currency })}</li>
            ))}
          </ul>
        </section>
      </div>

      <section className="card" data-testid="margin-worst">
        <h2>{t('productReports.margin.worstTitle')}</h2>
        {report.worst.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('productReports.margin.order')}</th>
                  <th>{t('analytics.by.channel')}</th>
                  <th>{t('productReports.margin.placed')}</th>
                  <th className="num">{t('productReports.margin.kpi.revenue')}</th>
                  <th className="num">{t('productReports.margin.kpi.goodsCost')}</th>
                  <th className="num">{t('productReports.margin.kpi.shippingCost')}</th>
                  <th className="num">{t('productReports.margin.kpi.margin')}</th>
                  <th className="num">{t('productReports.margin.kpi.rate')}</th>
                </tr>
              </thead>
              <tbody>
                {report.worst.map((o) => (
                  <tr key={o.orderId} data-testid="worst-order" data-order={o.orderId}>
                    <td>
                      <Link to={`/orders/${o.orderId}`}>{o.number}</Link>
                      {o.incomplete ? <div className="muted small">{t('productReports.margin.incomplete')}</div> : null}
                    </td>
                    <td>{o.channel}</td>
                    <td>
                      <DateTime value={o.placedAt} />
                    </td>
                    <td className="num">{money(o.revenue)}</td>
                    <td className="num">{money(o.goodsCost)}</td>
                    <td className="num">{money(o.shippingCost)}</td>
                    <td className="num">{money(o.margin)}</td>
                    <td className="num">{pct(o.rate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('analytics.noSales')}</p>
        )}
      </section>
    </>
  );
}
