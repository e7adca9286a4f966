// The fulfilment report: processing times (received → shipped → delivered: p50, p90, histogram), shipments
// and deliveries against the promised date, and what went wrong (holds, payment failures, cancellations),
// for the orders placed in a range, by channel and warehouse, against the period before. Warehouse staff
// read it (analytics.fulfilment); it shows no money. Every bar and row opens the orders behind it.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { requireUser } from '../lib/auth.server.ts';
import { formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { RangePresets, useQueryWith } from '../components/report-controls.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { bucketEnd, formatHours, formatShare, Kpi, OpsFilters, ordersHref } from '../components/ops-reports.tsx';
import { todayIn } from '../modules/analytics/range.ts';
import { fulfilmentReport, OpsReportQuery, type FulfilFigures } from '../modules/analytics/fulfilment-report.server.ts';
import { bucketRange, BUCKETS, STAGES, type Stage } from '../modules/analytics/histogram.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.fulfilment');
  const q = OpsReportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(context.config.BUSINESS_TIME_ZONE);
  const [report, channels, warehouses] = await Promise.all([
    fulfilmentReport(em, q, todayIso),
    em.execute<{ code: string }[]>('select code from channel order by code'),
    em.execute<{ code: string }[]>('select code from warehouse order by code'),
  ]);
  return { report, query: q, today: todayIso, channels: channels.map((c) => c.code), warehouses: warehouses.map((w) => w.code) };
}

const STAGE_COLORS: Record<Stage, string> = { ship: CHART_COLORS[0], transit: CHART_COLORS[5], total: CHART_COLORS[4] };

export default function FulfilmentReport() {
  const { report, query, today, channels, warehouses } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const withQuery = useQueryWith();
  const histChart = useRef<HTMLDivElement>(null);
  const lateChart = useRef<HTMLDivElement>(null);
  const num = (n: number | null) => (n === null ? '—' : formatNumber(n, locale));
  const hours = (h: number | null) => formatHours(h, locale);
  const share = (x: number | null) => formatShare(x, locale);
  const g = report.granularity;
  const prev = report.previous?.totals;
  const orders = (extra: Record<string, string | undefined> = {}, from = report.from, to = report.to) => ordersHref(from, to, query, extra);
  const holdLabel = (r: string) => t(`holdReasons.${r}`, { defaultValue: r });
  const methodLabel = (m: string) => t(`paymentMethods.${m}`, { defaultValue: m });

  /** A bucket's edges in one unit: hours up to two days, days beyond. */
  const bucketLabel = (k: number) => {
    const [lo, hi] = bucketRange(k);
    if (hi === null) return t('opsReports.bucketOpen', { from: hours(lo) });
    return hi <= 48
      ? t('opsReports.bucketRange', { from: num(lo), to: hours(hi) })
      : t('opsReports.bucketRange', { from: num(lo / 24), to: formatNumber(hi / 24, locale, { style: 'unit', unit: 'day', unitDisplay: 'short' }) });
  };
  const histogram = Array.from({ length: BUCKETS }, (_, k) => ({
    k,
    label: bucketLabel(k),
    ...Object.fromEntries(STAGES.map((s) => [s, report.totals.hist[s][k]])),
  }));
  const took = (s: Stage, k: number) => {
    const [lo, hi] = bucketRange(k);
    return `${s}:${lo}-${hi ?? ''}`;
  };
  const series = report.series.map((p, i) => ({
    ...p,
    end: bucketEnd(p.bucket, g, report.to),
    p50Ship: p.p50.ship,
    p90Ship: p.p90.ship,
    previousLateRate: report.previous?.series[i]?.shipLateRate ?? null,
    previousP50Ship: report.previous?.series[i]?.p50.ship ?? null,
  }));

  const exportCsv = () =>
    downloadCsv(
      `fulfilment-${report.from}-${report.to}.csv`,
      series.map((p) => ({
        [t('analytics.csv.bucket')]: p.bucket,
        [t('analytics.csv.orders')]: p.orders,
        [t('opsReports.csv.shipped')]: p.shipped,
        [t('opsReports.csv.shipLate')]: p.shipLate,
        [t('opsReports.csv.shipLateRate')]: p.shipLateRate,
        [t('opsReports.csv.delivered')]: p.delivered,
        [t('opsReports.csv.deliverLate')]: p.deliverLate,
        [t('opsReports.csv.p50', { stage: t('opsReports.stage.ship') })]: p.p50.ship,
        [t('opsReports.csv.p90', { stage: t('opsReports.stage.ship') })]: p.p90.ship,
        [t('opsReports.csv.p50', { stage: t('opsReports.stage.total') })]: p.p50.total,
        [t('opsReports.csv.p90', { stage: t('opsReports.stage.total') })]: p.p90.total,
        [t('opsReports.csv.held')]: p.held,
        [t('opsReports.csv.payFailed')]: p.payFailed,
        [t('analytics.csv.cancelled')]: p.cancelled,
        [t('opsReports.csv.previousShipLateRate')]: p.previousLateRate,
      })),
    );

  const breakdown = (dim: 'channel' | 'warehouse', rows: ({ key: string } & FulfilFigures)[]) => (
    <section key={dim} className="card" data-testid={`by-${dim}`}>
      <h2>{t(`analytics.byTitle.${dim}`)}</h2>
      <p className="muted">{t('opsReports.fulfilment.timesAre')}</p>
      {rows.length ? (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th>{t(`analytics.by.${dim}`)}</th>
                <th className="num">{t('analytics.kpi.orders')}</th>
                <th className="num">{t('opsReports.shipped')}</th>
                <th className="num">{t('opsReports.stage.ship')}</th>
                <th className="num">{t('opsReports.stage.total')}</th>
                <th className="num">{t('opsReports.shipLateRate')}</th>
                <th className="num">{t('opsReports.heldRate')}</th>
                <th className="num">{t('opsReports.payFailedRate')}</th>
                <th className="num">{t('opsReports.cancelledRate')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key}>
                  <td>
                    <Link to={withQuery({ [dim]: r.key })}>{r.key === 'none' ? t('analytics.notRouted') : r.key}</Link>
                  </td>
                  <td className="num">
                    <Link to={orders({ [dim]: r.key })}>{num(r.orders)}</Link>
                  </td>
                  <td className="num">{num(r.shipped)}</td>
                  <td className="num">
                    {hours(r.p50.ship)} / {hours(r.p90.ship)}
                  </td>
                  <td className="num">
                    {hours(r.p50.total)} / {hours(r.p90.total)}
                  </td>
                  <td className="num">
                    <Link to={orders({ [dim]: r.key, shipLate: '1' })}>{share(r.shipLateRate)}</Link>
                  </td>
                  <td className="num">{share(r.heldRate)}</td>
                  <td className="num">
                    <Link to={orders({ [dim]: r.key, paymentFailed: 'any' })}>{share(r.payFailedRate)}</Link>
                  </td>
                  <td className="num">
                    <Link to={orders({ [dim]: r.key, status: 'cancelled' })}>{share(r.cancelledRate)}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{t('opsReports.noOrders')}</p>
      )}
    </section>
  );

  const byWarehouse = breakdown(
    'warehouse',
    report.byWarehouse.map(({ warehouse, ...r }) => ({ key: warehouse, ...r })),
  );
  const byChannel = breakdown(
    'channel',
    report.byChannel.map(({ channel, ...r }) => ({ key: channel, ...r })),
  );
  const tot = report.totals;
  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.analytics')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <OpsFilters from={report.from} to={report.to} query={query} channels={channels} warehouses={warehouses} />
      <p className="muted">{t('opsReports.fulfilment.about')}</p>

      <div className="tiles">
        <Kpi
          id="p50-ship"
          label={t('opsReports.kpi.p50', { stage: t('opsReports.stage.ship') })}
          value={tot.p50.ship}
          previous={prev ? prev.p50.ship : undefined}
          format={hours}
          lowerIsBetter
          note={t('opsReports.kpi.p90is', { value: hours(tot.p90.ship) })}
        />
        <Kpi
          id="p50-total"
          label={t('opsReports.kpi.p50', { stage: t('opsReports.stage.total') })}
          value={tot.p50.total}
          previous={prev ? prev.p50.total : undefined}
          format={hours}
          lowerIsBetter
          note={t('opsReports.kpi.p90is', { value: hours(tot.p90.total) })}
        />
        <Kpi
          id="ship-late"
          label={t('opsReports.shipLateRate')}
          value={tot.shipLateRate}
          previous={prev ? prev.shipLateRate : undefined}
          format={share}
          lowerIsBetter
        />
        <Kpi
          id="deliver-late"
          label={t('opsReports.deliverLateRate')}
          value={tot.deliverLateRate}
          previous={prev ? prev.deliverLateRate : undefined}
          format={share}
          lowerIsBetter
        />
        <Kpi id="held" label={t('opsReports.heldRate')} value={tot.heldRate} previous={prev ? prev.heldRate : undefined} format={share} lowerIsBetter />
        <Kpi
          id="pay-failed"
          label={t('opsReports.payFailedRate')}
          value={tot.payFailedRate}
          previous={prev ? prev.payFailedRate : undefined}
          format={share}
          lowerIsBetter
        />
        <Kpi
          id="cancelled"
          label={t('opsReports.cancelledRate')}
          value={tot.cancelledRate}
          previous={prev ? prev.cancelledRate : undefined}
          format={share}
          lowerIsBetter
        />
      </div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('opsReports.fulfilment.distribution')}</h2>
          <div className="actions">
            <button type="button" onClick={() => downloadChartSvg(`fulfilment-times-${report.from}-${report.to}.svg`, histChart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('opsReports.fulfilment.distributionHint')}</p>
        <div ref={histChart} data-testid="histogram-chart">
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={histogram} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" minTickGap={4} interval="preserveStartEnd" />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip formatter={(v, name) => [num(Number(v)), name]} />
              <Legend />
              {STAGES.map((s) => (
                <Bar
                  key={s}
                  dataKey={s}
                  name={t(`opsReports.stage.${s}`)}
                  fill={STAGE_COLORS[s]}
                  isAnimationActive={false}
                  cursor="pointer"
                  onClick={(_, index) => navigate(orders({ took: took(s, index) }))}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div className="table-scroll">
          <table className="data-table" data-testid="histogram-table">
            <thead>
              <tr>
                <th>{t('opsReports.took')}</th>
                {STAGES.map((s) => (
                  <th key={s} className="num">
                    {t(`opsReports.stage.${s}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {histogram
                .filter((row) => STAGES.some((s) => report.totals.hist[s][row.k] > 0))
                .map((row) => (
                  <tr key={row.k}>
                    <td>{row.label}</td>
                    {STAGES.map((s) => (
                      <td key={s} className="num">
                        {report.totals.hist[s][row.k] ? <Link to={orders({ took: took(s, row.k) })}>{num(report.totals.hist[s][row.k])}</Link> : '—'}
                      </td>
                    ))}
                  </tr>
                ))}
              <tr>
                <th>{t('opsReports.p50p90Short')}</th>
                {STAGES.map((s) => (
                  <td key={s} className="num">
                    {hours(tot.p50[s])} / {hours(tot.p90[s])}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
        </div>
      </section>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('opsReports.fulfilment.onTime')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`fulfilment-${report.from}-${report.to}.svg`, lateChart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('opsReports.fulfilment.onTimeHint')}</p>
        <div ref={lateChart} data-testid="late-chart">
          <ResponsiveContainer width="100%" height={280}>
            <ComposedChart
              data={series}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const bucket = typeof e?.activeLabel === 'string' ? e.activeLabel : null;
                if (bucket) navigate(orders({ shipLate: '1' }, bucket, bucketEnd(bucket, g, report.to)));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="bucket" tickFormatter={(v: string) => formatBucket(v, locale, g)} minTickGap={16} />
              <YAxis yAxisId="n" allowDecimals={false} width={40} />
              <YAxis yAxisId="r" orientation="right" width={48} tickFormatter={(v: number) => share(v)} domain={[0, 'auto']} />
              <Tooltip
                labelFormatter={(v) => formatBucket(String(v), locale, g)}
                formatter={(v, name, item) => [String(item.dataKey).endsWith('Rate') ? share(Number(v)) : num(Number(v)), name]}
              />
              <Legend />
              <Bar yAxisId="n" dataKey="shipped" name={t('opsReports.shipped')} fill={CHART_COLORS[2]} isAnimationActive={false} cursor="pointer" />
              <Bar yAxisId="n" dataKey="shipLate" name={t('opsReports.shipLate')} fill={CHART_COLORS[3]} isAnimationActive={false} cursor="pointer" />
              <Line
                yAxisId="r"
                dataKey="shipLateRate"
                name={t('opsReports.shipLateRate')}
                stroke={CHART_COLORS[1]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
              {report.previous ? (
                <Line
                  yAxisId="r"
                  dataKey="previousLateRate"
                  name={t('opsReports.previousShipLateRate')}
                  stroke={CHART_COLORS[1]}
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
                <th className="num">{t('analytics.kpi.orders')}</th>
                <th className="num">{t('opsReports.shipped')}</th>
                <th className="num">{t('opsReports.shipLate')}</th>
                <th className="num">{t('opsReports.shipLateRate')}</th>
                {report.previous ? <th className="num">{t('opsReports.previousShipLateRate')}</th> : null}
                <th className="num">{t('opsReports.delivered')}</th>
                <th className="num">{t('opsReports.deliverLate')}</th>
                <th className="num">{t('opsReports.p50p90', { stage: t('opsReports.stage.ship') })}</th>
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
                  <td className="num">{num(p.orders)}</td>
                  <td className="num">{num(p.shipped)}</td>
                  <td className="num">{p.shipLate ? <Link to={orders({ shipLate: '1' }, p.bucket, p.end)}>{num(p.shipLate)}</Link> : num(0)}</td>
                  <td className="num">{share(p.shipLateRate)}</td>
                  {report.previous ? <td className="num">{share(p.previousLateRate)}</td> : null}
                  <td className="num">{num(p.delivered)}</td>
                  <td className="num">{p.deliverLate ? <Link to={orders({ deliverLate: '1' }, p.bucket, p.end)}>{num(p.deliverLate)}</Link> : num(0)}</td>
                  <td className="num">
                    {hours(p.p50.ship)} / {hours(p.p90.ship)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="grid-2">
        {byWarehouse}
        {byChannel}
      </div>

      <h2>{t('opsReports.fulfilment.errors')}</h2>
      <div className="grid-3">
        <section className="card" data-testid="holds">
          <h2>{t('opsReports.fulfilment.holds')}</h2>
          {report.holds.length ? (
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('opsReports.reason')}</th>
                  <th className="num">{t('analytics.kpi.orders')}</th>
                  <th className="num">{t('opsReports.ofOrders')}</th>
                </tr>
              </thead>
              <tbody>
                {report.holds.map((h) => (
                  <tr key={h.reason}>
                    <td>{holdLabel(h.reason)}</td>
                    <td className="num">
                      <Link to={orders({ holdReason: h.reason })}>{num(h.orders)}</Link>
                    </td>
                    <td className="num">{share(tot.orders ? h.orders / tot.orders : null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('opsReports.none')}</p>
          )}
        </section>
        <section className="card" data-testid="payment-failures">
          <h2>{t('opsReports.fulfilment.paymentFailures')}</h2>
          {report.paymentFailures.some((p) => p.failed > 0) ? (
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('opsReports.method')}</th>
                  <th className="num">{t('opsReports.failed')}</th>
                  <th className="num">{t('opsReports.failureRate')}</th>
                </tr>
              </thead>
              <tbody>
                {report.paymentFailures
                  .filter((p) => p.failed > 0)
                  .map((p) => (
                    <tr key={p.method}>
                      <td>{methodLabel(p.method)}</td>
                      <td className="num">
                        <Link to={orders({ paymentMethod: p.method, paymentFailed: 'any' })}>{num(p.failed)}</Link>
                      </td>
                      <td className="num">{share(p.orders ? p.failed / p.orders : null)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('opsReports.none')}</p>
          )}
        </section>
        <section className="card" data-testid="cancellations">
          <h2>{t('opsReports.fulfilment.cancellations')}</h2>
          {report.cancels.length ? (
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('opsReports.reason')}</th>
                  <th className="num">{t('analytics.kpi.orders')}</th>
                  <th className="num">{t('opsReports.ofOrders')}</th>
                </tr>
              </thead>
              <tbody>
                {report.cancels.map((c) => (
                  <tr key={c.reason}>
                    <td>{c.reason || <span className="muted">{t('opsReports.noReason')}</span>}</td>
                    <td className="num">
                      <Link to={orders({ cancelReason: c.reason || '-' })}>{num(c.orders)}</Link>
                    </td>
                    <td className="num">{share(tot.orders ? c.orders / tot.orders : null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('opsReports.none')}</p>
          )}
        </section>
      </div>
    </>
  );
}
