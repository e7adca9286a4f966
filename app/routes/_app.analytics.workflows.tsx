import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, CartesianGrid, ComposedChart, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { useLocale } from '../components/format.tsx';
import { CompareField, RangeFields, RangePresets } from '../components/report-controls.tsx';
import { requireUser } from '../lib/auth.server.ts';
import { formatNumber } from '../lib/format.ts';
import type { Locale } from '../lib/i18n.ts';
import { todayIn } from '../modules/analytics/range.ts';
import { formatDuration } from '../modules/analytics/service-figures.ts';
import { WorkflowReportQuery, workflowReport, type RunFigures } from '../modules/analytics/workflow-report.server.ts';
import { flowName } from '../modules/workflows/names.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.view');
  const q = WorkflowReportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(context.config.BUSINESS_TIME_ZONE);
  const [report, flows] = await Promise.all([
    workflowReport(em, q, todayIso),
    em.execute<{ key: string; name: string; translations: Record<string, { name?: string }> }[]>(
      'select key, name, translations from workflow_definition order by name',
    ),
  ]);
  return { report, query: q, today: todayIso, flows };
}

const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };
/** The outcomes with a column of their own (each opens the runs list with that status). */
const OUTCOMES = ['completed', 'failed', 'compensated'] as const;
const RUNNING = 'running';

/** A step's time: milliseconds, seconds, then minutes, hours or days. */
function formatMs(ms: number | null, locale: Locale): string {
  if (ms === null) return '—';
  if (ms < 1000) return formatNumber(ms, locale, { style: 'unit', unit: 'millisecond', unitDisplay: 'short', maximumFractionDigits: 0 });
  if (ms < 60_000) return formatNumber(ms / 1000, locale, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 });
  return formatDuration(ms / 1000, locale);
}

export default function WorkflowReportPage() {
  const { report, query, today, flows } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const chart = useRef<HTMLDivElement>(null);
  const num = (n: number) => formatNumber(n, locale);
  const pct = (n: number | null) => (n === null ? '—' : formatNumber(n, locale, PERCENT));
  const ms = (n: number | null) => formatMs(n, locale);
  const dayLabel = (d: string) => formatBucket(d, locale, 'day');
  const name = (r: { flow: string | null; flowTranslations: Record<string, { name?: string }>; flowKey: string | null }) =>
    r.flow ? flowName({ name: r.flow, translations: r.flowTranslations }, i18n.language) : t('serviceReports.workflows.deleted');

  /** The runs list for a flow (and version) over days, and these. */
  const runs = (extra: Record<string, string | number | null | undefined>, from = report.from, to = report.to) => {
    const p = new URLSearchParams({ from, to });
    const f = { flow: query.flow, version: query.version, ...extra };
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== null && String(v) !== '') p.set(k, String(v));
    return `/workflows?${p}`;
  };

  const kpis: { key: string; value: (x: RunFigures) => number | null; format: (n: number) => string; better: 'up' | 'down' }[] = [
    { key: 'runs', value: (x) => x.runs, format: num, better: 'up' },
    { key: 'failureRate', value: (x) => x.failureRate, format: (n) => pct(n), better: 'down' },
    { key: 'failed', value: (x) => x.failed + x.compensated, format: num, better: 'down' },
    { key: 'meanRun', value: (x) => x.meanMs, format: (n) => ms(n), better: 'down' },
  ];
  const tile = (k: (typeof kpis)[number]) => {
    const now = k.value(report.totals);
    const then = report.previous ? k.value(report.previous.totals) : undefined;
    const change = now !== null && then !== null && then !== undefined && then !== 0 ? (now - then) / then : null;
    const tone = change === null || change === 0 ? 'flat' : change > 0 === (k.better === 'up') ? 'up' : 'down';
    return (
      <div key={k.key} className="tile kpi" data-testid={`workflows-${k.key}`}>
        <span className="tile-label">{t(`serviceReports.workflows.kpi.${k.key}`)}</span>
        <span className="tile-value num">{now === null ? '—' : k.format(now)}</span>
        {then !== undefined ? (
          <span className={`delta ${tone}`}>
            {change === null
              ? t('analytics.previousWas', { value: then === null ? '—' : k.format(then) })
              : t('analytics.vsPrevious', {
                  pct: formatNumber(change, locale, { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 1 }),
                  value: then === null ? '—' : k.format(then),
                })}
          </span>
        ) : null}
      </div>
    );
  };

  const stepName = (s: (typeof report.steps)[number]) => s.labels[i18n.language] || s.label || s.type || s.nodeId;
  const exportSteps = () =>
    downloadCsv(
      `flow-steps-${report.from}-${report.to}.csv`,
      report.steps.map((s) => ({
        [t('serviceReports.workflows.csv.flow')]: s.flowKey,
        [t('serviceReports.workflows.csv.version')]: s.version,
        [t('serviceReports.workflows.csv.node')]: s.nodeId,
        [t('serviceReports.workflows.csv.type')]: s.type,
        [t('serviceReports.workflows.csv.steps')]: s.steps,
        [t('serviceReports.workflows.csv.failed')]: s.failed,
        [t('serviceReports.workflows.csv.skipped')]: s.skipped,
        [t('serviceReports.workflows.csv.p50')]: s.p50,
        [t('serviceReports.workflows.csv.p90')]: s.p90,
        [t('serviceReports.workflows.csv.mean')]: s.meanMs,
      })),
    );
  const exportFlows = () =>
    downloadCsv(
      `flow-runs-${report.from}-${report.to}.csv`,
      report.flows.map((f) => ({
        [t('serviceReports.workflows.csv.flow')]: f.flowKey,
        [t('serviceReports.workflows.csv.version')]: f.version,
        [t('serviceReports.workflows.csv.runs')]: f.runs,
        [t('runStates.completed')]: f.completed,
        [t('runStates.failed')]: f.failed,
        [t('runStates.compensated')]: f.compensated,
        [t('runStates.cancelled')]: f.cancelled,
        [t('runStates.terminated')]: f.terminated,
        [t('runStates.running')]: f.running,
        [t('serviceReports.workflows.csv.failureRate')]: f.failureRate === null ? null : f.failureRate.toFixed(4),
        [t('serviceReports.workflows.csv.mean')]: f.meanMs,
      })),
    );

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('serviceReports.workflows.title')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <Form method="get" className="filters" data-testid="report-filters">
        <RangeFields from={report.from} to={report.to} />
        <label className="field">
          <span>{t('workflows.flow')}</span>
          <select name="flow" defaultValue={query.flow ?? ''}>
            <option value="">{t('common.all')}</option>
            {flows.map((f) => (
              <option key={f.key} value={f.key}>
                {flowName(f, i18n.language)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('workflows.version')}</span>
          <input type="number" name="version" min={1} defaultValue={query.version ?? ''} />
        </label>
        <CompareField value={query.compare} />
        <button type="submit">{t('common.filter')}</button>
      </Form>
      <p className="muted small">{t('serviceReports.workflows.basis')}</p>

      <div className="tiles">{kpis.map(tile)}</div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('serviceReports.workflows.perDay')}</h2>
          <div className="actions">
            <button type="button" onClick={() => downloadChartSvg(`flow-runs-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('serviceReports.workflows.drillHint')}</p>
        <div ref={chart} data-testid="workflows-chart">
          <ResponsiveContainer width="100%" height={240}>
            <ComposedChart
              data={report.series}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const day = typeof e?.activeLabel === 'string' ? e.activeLabel : null;
                if (day) navigate(runs({}, day, day));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" tickFormatter={dayLabel} minTickGap={16} />
              <YAxis allowDecimals={false} width={48} tickFormatter={(v: number) => num(v)} />
              <Tooltip labelFormatter={(v) => dayLabel(String(v))} formatter={(v, n) => [num(Number(v)), n]} />
              <Legend />
              <Bar dataKey="runs" name={t('serviceReports.workflows.kpi.runs')} fill={CHART_COLORS[0]} isAnimationActive={false} cursor="pointer" />
              <Bar dataKey="failed" name={t('serviceReports.workflows.kpi.failed')} fill={CHART_COLORS[3]} isAnimationActive={false} cursor="pointer" />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      </section>

      <section className="card" data-testid="workflows-flows">
        <div className="card-head">
          <h2>{t('serviceReports.workflows.byFlow')}</h2>
          <div className="actions">
            <button type="button" onClick={exportFlows}>
              {t('analytics.exportCsv')}
            </button>
          </div>
        </div>
        {report.flows.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('workflows.flow')}</th>
                  <th>{t('workflows.version')}</th>
                  <th className="num">{t('serviceReports.workflows.kpi.runs')}</th>
                  <th className="num">{t('runStates.completed')}</th>
                  <th className="num">{t('runStates.failed')}</th>
                  <th className="num">{t('runStates.compensated')}</th>
                  <th className="num">{t('serviceReports.workflows.endedOutside')}</th>
                  <th className="num">{t('runStates.running')}</th>
                  <th className="num">{t('serviceReports.workflows.kpi.failureRate')}</th>
                  <th className="num">{t('serviceReports.workflows.kpi.meanRun')}</th>
                </tr>
              </thead>
              <tbody>
                {report.flows.map((f) => {
                  const at = f.flowKey ? { flow: f.flowKey, version: f.version } : null;
                  const link = (n: number, status?: string) => (at && n ? <Link to={runs({ ...at, status })}>{num(n)}</Link> : num(n));
                  return (
                    <tr key={`${f.flowKey}-${f.version}`}>
                      <td>{name(f)}</td>
                      <td>{f.version === null ? '—' : t('serviceReports.workflows.v', { version: f.version })}</td>
                      <td className="num">{link(f.runs)}</td>
                      {OUTCOMES.slice(0, 3).map((o) => (
                        <td key={o} className="num">
                          {link(f[o], o)}
                        </td>
                      ))}
                      <td className="num">{num(f.cancelled + f.terminated)}</td>
                      <td className="num">{link(f.running, RUNNING)}</td>
                      <td className="num">{pct(f.failureRate)}</td>
                      <td className="num">{ms(f.meanMs)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('serviceReports.workflows.none')}</p>
        )}
      </section>

      <section className="card" data-testid="workflows-steps">
        <div className="card-head">
          <h2>{t('serviceReports.workflows.bySteps')}</h2>
          <div className="actions">
            <button type="button" onClick={exportSteps}>
              {t('analytics.exportCsv')}
            </button>
          </div>
        </div>
        <p className="muted small">{t('serviceReports.workflows.stepsHint')}</p>
        {report.steps.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('workflows.flow')}</th>
                  <th>{t('serviceReports.workflows.step')}</th>
                  <th>{t('serviceReports.workflows.type')}</th>
                  <th className="num">{t('serviceReports.workflows.finished')}</th>
                  <th className="num">{t('runStates.failed')}</th>
                  <th className="num">{t('serviceReports.workflows.skipped')}</th>
                  <th className="num">{t('serviceReports.workflows.p50')}</th>
                  <th className="num">{t('serviceReports.workflows.p90')}</th>
                  <th className="num">{t('serviceReports.workflows.mean')}</th>
                </tr>
              </thead>
              <tbody>
                {report.steps.map((s) => (
                  <tr key={`${s.flowKey}-${s.version}-${s.nodeId}`}>
                    <td>
                      {s.flowKey ? <Link to={runs({ flow: s.flowKey, version: s.version })}>{name(s)}</Link> : name(s)}
                      {s.version === null ? null : <span className="muted"> {t('serviceReports.workflows.v', { version: s.version })}</span>}
                    </td>
                    <td>
                      {stepName(s)} <span className="muted small">{s.nodeId}</span>
                    </td>
                    <td>
                      <code>{s.type ?? '—'}</code>
                    </td>
                    <td className="num">{num(s.steps)}</td>
                    <td className="num">{num(s.failed)}</td>
                    <td className="num">{num(s.skipped)}</td>
                    <td className="num">{ms(s.p50)}</td>
                    <td className="num">{ms(s.p90)}</td>
                    <td className="num">{ms(s.meanMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('serviceReports.workflows.none')}</p>
        )}
      </section>
    </>
  );
}
