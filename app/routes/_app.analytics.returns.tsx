// The returns report: returns opened in a range (not rejected or expired) against the units sold in it, by
// reason, resolution (refund or exchange), channel, warehouse and product, over time against the period
// before. Warehouse staff read it (analytics.fulfilment); it shows no money. Every bar and row opens the
// orders behind it.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { requireUser } from '../lib/auth.server.ts';
import { formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { RangePresets, useQueryWith } from '../components/report-controls.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { bucketEnd, formatShare, Kpi, OpsFilters, ordersHref } from '../components/ops-reports.tsx';
import { todayIn } from '../modules/analytics/range.ts';
import { OpsReportQuery } from '../modules/analytics/fulfilment-report.server.ts';
import { returnsReport, type ReturnFigures } from '../modules/analytics/returns-report.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.fulfilment');
  const q = OpsReportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(context.config.BUSINESS_TIME_ZONE);
  const [report, channels, warehouses] = await Promise.all([
    returnsReport(em, q, todayIso),
    em.execute<{ code: string }[]>('select code from channel order by code'),
    em.execute<{ code: string }[]>('select code from warehouse order by code'),
  ]);
  return { report, query: q, today: todayIso, channels: channels.map((c) => c.code), warehouses: warehouses.map((w) => w.code) };
}

export default function ReturnsReport() {
  const { report, query, today, channels, warehouses } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const withQuery = useQueryWith();
  const chart = useRef<HTMLDivElement>(null);
  const num = (n: number | null) => (n === null ? '—' : formatNumber(n, locale));
  const share = (x: number | null) => formatShare(x, locale);
  const g = report.granularity;
  const tot = report.totals;
  const prev = report.previous?.totals;
  /** The orders with returns opened in [from, to] (and the report's filters), narrowed by `extra`. */
  const orders = (extra: Record<string, string | undefined> = {}, from = report.from, to = report.to) => ordersHref(from, to, query, extra, 'returned');
  const reasonLabel = (r: string) => t(`returnReasons.${r}`, { defaultValue: r });
  const exchange = report.byResolution.find((r) => r.resolution === 'exchange');

  const series = report.series.map((p, i) => ({
    ...p,
    end: bucketEnd(p.bucket, g, report.to),
    previousRate: report.previous?.series[i]?.rate ?? null,
    previousUnits: report.previous?.series[i]?.units ?? null,
  }));

  const exportCsv = () =>
    downloadCsv(
      `returns-${report.from}-${report.to}.csv`,
      series.map((p) => ({
        [t('analytics.csv.bucket')]: p.bucket,
        [t('opsReports.returns.csv.returns')]: p.returns,
        [t('opsReports.returns.csv.units')]: p.units,
        [t('opsReports.returns.csv.sold')]: p.sold,
        [t('opsReports.returns.csv.rate')]: p.rate,
        [t('opsReports.returns.csv.previousRate')]: p.previousRate,
      })),
    );

  const table = (
    id: string,
    title: string,
    label: string,
    rows: ({ key: string; text: string; href: string; filterHref?: string } & ReturnFigures)[],
    rateOf: 'sold' | 'returned',
  ) => (
    <section className="card" data-testid={`by-${id}`}>
      <h2>{title}</h2>
      {rows.length ? (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th>{label}</th>
                <th className="num">{t('opsReports.returns.returns')}</th>
                <th className="num">{t('opsReports.returns.units')}</th>
                {rateOf === 'sold' ? (
                  <th className="num">{t('opsReports.returns.sold')}</th>
                ) : (
                  <th className="num">{t('opsReports.returns.shareOfReturned')}</th>
                )}
                <th className="num">{t('opsReports.returns.rate')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key}>
                  <td>{r.filterHref ? <Link to={r.filterHref}>{r.text}</Link> : r.text}</td>
                  <td className="num">{r.returns ? <Link to={r.href}>{num(r.returns)}</Link> : num(0)}</td>
                  <td className="num">{num(r.units)}</td>
                  <td className="num">{rateOf === 'sold' ? num(r.sold) : share(tot.units ? r.units / tot.units : null)}</td>
                  <td className="num">{share(r.rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{t('opsReports.none')}</p>
      )}
    </section>
  );

  const byReason = table(
    'reason',
    t('opsReports.returns.byReason'),
    t('opsReports.reason'),
    report.byReason.map((r) => ({ ...r, key: r.reason, text: reasonLabel(r.reason), href: orders({ returnReason: r.reason }) })),
    'returned',
  );
  const byResolution = table(
    'resolution',
    t('opsReports.returns.byResolution'),
    t('opsReports.returns.resolution'),
    report.byResolution.map((r) => ({
      ...r,
      key: r.resolution,
      text: t(`opsReports.returns.resolutions.${r.resolution === 'exchange' ? 'exchange' : 'refund'}`),
      href: orders({ returnResolution: r.resolution }),
    })),
    'returned',
  );
  const byChannel = table(
    'channel',
    t('analytics.byTitle.channel'),
    t('analytics.by.channel'),
    report.byChannel.map((r) => ({
      ...r,
      key: r.channel,
      text: r.channel,
      href: orders({ channel: r.channel }),
      filterHref: withQuery({ channel: r.channel }),
    })),
    'sold',
  );
  const byWarehouse = table(
    'warehouse',
    t('analytics.byTitle.warehouse'),
    t('analytics.by.warehouse'),
    report.byWarehouse.map((r) => ({
      ...r,
      key: r.warehouse,
      text: r.warehouse === 'none' ? t('analytics.notRouted') : r.warehouse,
      href: orders({ warehouse: r.warehouse }),
      filterHref: withQuery({ warehouse: r.warehouse }),
    })),
    'sold',
  );
  const byProduct = table(
    'product',
    t('opsReports.returns.byProduct'),
    t('opsReports.returns.product'),
    report.byProduct.map((r) => ({ ...r, key: r.sku, text: r.name ? `${r.sku} · ${r.name}` : r.sku, href: orders({ returnSku: r.sku }) })),
    'sold',
  );
  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.analytics')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <OpsFilters from={report.from} to={report.to} query={query} channels={channels} warehouses={warehouses} />
      <p className="muted">{t('opsReports.returns.about')}</p>

      <div className="tiles">
        <Kpi id="return-rate" label={t('opsReports.returns.rate')} value={tot.rate} previous={prev ? prev.rate : undefined} format={share} lowerIsBetter />
        <Kpi id="returns" label={t('opsReports.returns.returns')} value={tot.returns} previous={prev ? prev.returns : undefined} format={num} lowerIsBetter />
        <Kpi id="units" label={t('opsReports.returns.units')} value={tot.units} previous={prev ? prev.units : undefined} format={num} lowerIsBetter />
        <Kpi id="exchange-share" label={t('opsReports.returns.exchangeShare')} value={tot.units ? (exchange?.units ?? 0) / tot.units : null} format={share} />
      </div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('opsReports.returns.overTime')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`returns-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('opsReports.returns.overTimeHint')}</p>
        <div ref={chart} data-testid="returns-chart">
          <ResponsiveContainer width="100%" height={280}>
            <ComposedChart
              data={series}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const bucket = typeof e?.activeLabel === 'string' ? e.activeLabel : null;
                if (bucket) navigate(orders({}, bucket, bucketEnd(bucket, g, report.to)));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="bucket" tickFormatter={(v: string) => formatBucket(v, locale, g)} minTickGap={16} />
              <YAxis yAxisId="n" allowDecimals={false} width={40} />
              <YAxis yAxisId="r" orientation="right" width={48} tickFormatter={(v: number) => share(v)} domain={[0, 'auto']} />
              <Tooltip
                labelFormatter={(v) => formatBucket(String(v), locale, g)}
                formatter={(v, name, item) => [String(item.dataKey).toLowerCase().endsWith('rate') ? share(Number(v)) : num(Number(v)), name]}
              />
              <Legend />
              <Bar yAxisId="n" dataKey="units" name={t('opsReports.returns.units')} fill={CHART_COLORS[3]} isAnimationActive={false} cursor="pointer" />
              <Line
                yAxisId="r"
                dataKey="rate"
                name={t('opsReports.returns.rate')}
                stroke={CHART_COLORS[0]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
              {report.previous ? (
                <Line
                  yAxisId="r"
                  dataKey="previousRate"
                  name={t('opsReports.returns.previousRate')}
                  stroke={CHART_COLORS[0]}
                  strokeDasharray="4 3"
                  dot={false}
                  isAnimationActive={false}
                  connectNulls
                />
              ) : null}
            </ComposedChart>
          </ResponsiveContainer>
        </div>
        <div className="table-scroll">
          <table className="data-table series-table" data-testid="series-table">
            <thead>
              <tr>
                <th>{t('analytics.csv.bucket')}</th>
                <th className="num">{t('opsReports.returns.returns')}</th>
                <th className="num">{t('opsReports.returns.units')}</th>
                <th className="num">{t('opsReports.returns.sold')}</th>
                <th className="num">{t('opsReports.returns.rate')}</th>
                {report.previous ? <th className="num">{t('opsReports.returns.previousRate')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {series.map((p) => (
                <tr key={p.bucket}>
                  <td>
                    <Link to={orders({}, p.bucket, p.end)} data-testid="drill">
                      {formatBucket(p.bucket, locale, g)}
                    </Link>
                  </td>
                  <td className="num">{num(p.returns)}</td>
                  <td className="num">{num(p.units)}</td>
                  <td className="num">{num(p.sold)}</td>
                  <td className="num">{share(p.rate)}</td>
                  {report.previous ? <td className="num">{share(p.previousRate)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="grid-2">
        {byReason}
        {byResolution}
        {byChannel}
        {byWarehouse}
      </div>
      {byProduct}
    </>
  );
}
