import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '../../entities/constants.ts';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from '../components/charts.tsx';
import { FilterSelect } from '../components/filter-select.tsx';
import { useLocale } from '../components/format.tsx';
import { CompareField, RangeFields, RangePresets } from '../components/report-controls.tsx';
import { requireUser } from '../lib/auth.server.ts';
import { formatNumber } from '../lib/format.ts';
import type { Locale } from '../lib/i18n.ts';
import { todayIn } from '../modules/analytics/range.ts';
import { COARSE_EDGES_MINUTES, formatDuration, type ServiceFigures } from '../modules/analytics/service-figures.ts';
import { ServiceReportQuery, serviceReport, type ServiceBreakdownRow } from '../modules/analytics/service-report.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'analytics.service');
  const q = ServiceReportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const em = context.orm.em.fork();
  const todayIso = todayIn(context.config.BUSINESS_TIME_ZONE);
  const [report, teams] = await Promise.all([
    serviceReport(em, q, todayIso),
    em.execute<{ id: number; name: string }[]>('select id, name from team order by name'),
  ]);
  return { report, query: q, today: todayIso, timeZone: context.config.BUSINESS_TIME_ZONE, teams: teams.map((x) => ({ id: Number(x.id), name: x.name })) };
}

const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };

/** The coarse buckets' labels: "< 15 min", "15 min – 30 min", … "≥ 7 d". */
function bucketLabels(t: (k: string, o?: Record<string, unknown>) => string, locale: Locale): string[] {
  const at = (m: number) => formatDuration(m * 60, locale);
  const edges = COARSE_EDGES_MINUTES;
  return [
    t('serviceReports.under', { value: at(edges[0]) }),
    ...edges.slice(1).map((e, i) => t('serviceReports.between', { from: at(edges[i]), to: at(e) })),
    t('serviceReports.over', { value: at(edges[edges.length - 1]) }),
  ];
}

type Kpi = { key: string; value: (f: ServiceFigures, x: { perHundred: number | null }) => number | null; format: (n: number) => string; better: 'up' | 'down' };

export default function ServiceReportPage() {
  const { report, query, today, teams } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  const navigate = useNavigate();
  const chart = useRef<HTMLDivElement>(null);
  const times = useRef<HTMLDivElement>(null);
  const num = (n: number) => formatNumber(n, locale);
  const dayLabel = (d: string) => formatBucket(d, locale, 'day');
  const pct = (n: number | null) => (n === null ? '—' : formatNumber(n, locale, PERCENT));
  const dur = (s: number | null) => formatDuration(s, locale);
  const cur = report.totals;
  const prev = report.previous?.totals ?? null;

  /** The queue with the report's filters, and these. */
  const queue = (extra: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams({ view: 'all' });
    const f = { channel: query.channel, team: query.team, priority: query.priority, ...extra };
    for (const [k, v] of Object.entries(f)) if (v !== undefined && String(v) !== '') p.set(k, String(v));
    return `/service?${p}`;
  };
  const range = (dates: 'created' | 'responded' | 'resolved', from = report.from, to = report.to) => ({ dates, from, to });

  const kpis: Kpi[] = [
    { key: 'created', value: (f) => f.created, format: num, better: 'down' },
    { key: 'solved', value: (f) => f.solved, format: num, better: 'up' },
    { key: 'firstResponse', value: (f) => f.firstResponse.p50, format: dur, better: 'down' },
    { key: 'resolution', value: (f) => f.resolution.p50, format: dur, better: 'down' },
    { key: 'slaFirstResponse', value: (f) => f.slaFirstResponse.met, format: (n) => pct(n), better: 'up' },
    { key: 'slaResolution', value: (f) => f.slaResolution.met, format: (n) => pct(n), better: 'up' },
    { key: 'csat', value: (f) => f.csat.average, format: (n) => formatNumber(n, locale, { maximumFractionDigits: 2 }), better: 'up' },
    { key: 'perHundredOrders', value: (_f, x) => x.perHundred, format: (n) => formatNumber(n, locale, { maximumFractionDigits: 2 }), better: 'down' },
  ];
  const sub: Record<string, string> = {
    firstResponse: t('serviceReports.p90', { value: dur(cur.firstResponse.p90), count: cur.firstResponse.count }),
    resolution: t('serviceReports.p90', { value: dur(cur.resolution.p90), count: cur.resolution.count }),
    slaFirstResponse: t('serviceReports.slaOf', { missed: num(cur.slaFirstResponse.missed), targeted: num(cur.slaFirstResponse.targeted) }),
    slaResolution: t('serviceReports.slaOf', { missed: num(cur.slaResolution.missed), targeted: num(cur.slaResolution.targeted) }),
    csat: t('serviceReports.csatSub', { satisfied: pct(cur.csat.satisfied), count: cur.csat.responses }),
    perHundredOrders: t('serviceReports.ordersSub', { orders: num(report.orders) }),
  };
  const tile = (k: Kpi) => {
    const now = k.value(cur, { perHundred: report.perHundredOrders });
    const then = prev ? k.value(prev, { perHundred: report.previous!.perHundredOrders }) : undefined;
    const change = now !== null && then !== null && then !== undefined && then !== 0 ? (now - then) / then : null;
    const tone = change === null || change === 0 ? 'flat' : change > 0 === (k.better === 'up') ? 'up' : 'down';
    return (
      <div key={k.key} className="tile kpi" data-testid={`service-${k.key}`}>
        <span className="tile-label">{t(`serviceReports.kpi.${k.key}`)}</span>
        <span className="tile-value num">{now === null ? '—' : k.format(now)}</span>
        {sub[k.key] ? <span className="muted small">{sub[k.key]}</span> : null}
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

  const data = report.series.map((p, i) => ({ ...p, previousCreated: report.previous?.series[i]?.created ?? null }));
  const labels = bucketLabels(t, locale);
  const distribution = labels.map((label, i) => ({
    label,
    firstResponse: cur.firstResponse.distribution[i],
    resolution: cur.resolution.distribution[i],
  }));
  const ratings = cur.csat.ratings.map((n, i) => ({ stars: String(i + 1), n }));

  const exportCsv = () =>
    downloadCsv(`service-${report.from}-${report.to}.csv`, [
      ...data.map((p) => ({
        [t('serviceReports.csv.day')]: p.day,
        [t('serviceReports.csv.created')]: p.created,
        [t('serviceReports.csv.solved')]: p.solved,
        [t('serviceReports.csv.previousCreated')]: p.previousCreated,
      })),
    ]);
  const exportBreakdownCsv = (name: string, rows: ServiceBreakdownRow[], label: (r: ServiceBreakdownRow) => string) =>
    downloadCsv(
      `service-${name}-${report.from}-${report.to}.csv`,
      rows.map((r) => ({
        [t(`serviceReports.by.${name}`)]: label(r),
        [t('serviceReports.csv.created')]: r.created,
        [t('serviceReports.csv.solved')]: r.solved,
        [t('serviceReports.csv.firstResponseMeanMinutes')]: r.firstResponse.mean === null ? null : Math.round(r.firstResponse.mean / 60),
        [t('serviceReports.csv.resolutionMeanMinutes')]: r.resolution.mean === null ? null : Math.round(r.resolution.mean / 60),
        [t('serviceReports.csv.slaFirstResponse')]: r.slaFirstResponse.met === null ? null : r.slaFirstResponse.met.toFixed(4),
        [t('serviceReports.csv.slaResolution')]: r.slaResolution.met === null ? null : r.slaResolution.met.toFixed(4),
        [t('serviceReports.csv.csat')]: r.csat.average,
        [t('serviceReports.csv.csatResponses')]: r.csat.responses,
      })),
    );

  const teamName = (id: string, name: string | null) => (id === '0' ? t('serviceReports.noTeam') : (name ?? `#${id}`));
  const agentName = (id: string, name: string | null) => (id === '0' ? t('serviceReports.unassigned') : (name ?? `#${id}`));

  const breakdown = (
    name: 'team' | 'agent' | 'channel' | 'priority',
    rows: ServiceBreakdownRow[],
    label: (r: ServiceBreakdownRow) => string,
    filter: (r: ServiceBreakdownRow) => Record<string, string | number> | null,
  ) => (
    <section key={name} className="card" data-testid={`service-by-${name}`}>
      <div className="card-head">
        <h2>{t(`serviceReports.byTitle.${name}`)}</h2>
        <div className="actions">
          <button type="button" onClick={() => exportBreakdownCsv(name, rows, label)}>
            {t('analytics.exportCsv')}
          </button>
        </div>
      </div>
      {rows.length ? (
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table">
            <thead>
              <tr>
                <th>{t(`serviceReports.by.${name}`)}</th>
                <th className="num">{t('serviceReports.kpi.created')}</th>
                <th className="num">{t('serviceReports.kpi.solved')}</th>
                <th className="num">{t('serviceReports.meanFirstResponse')}</th>
                <th className="num">{t('serviceReports.meanResolution')}</th>
                <th className="num">{t('serviceReports.kpi.slaFirstResponse')}</th>
                <th className="num">{t('serviceReports.kpi.slaResolution')}</th>
                <th className="num">{t('serviceReports.kpi.csat')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const f = filter(r);
                return (
                  <tr key={`${r.teamId ?? ''}-${r.key}`}>
                    <td>{label(r)}</td>
                    <td className="num">{f ? <Link to={queue({ ...f, ...range('created') })}>{num(r.created)}</Link> : num(r.created)}</td>
                    <td className="num">{f ? <Link to={queue({ ...f, ...range('resolved') })}>{num(r.solved)}</Link> : num(r.solved)}</td>
                    <td className="num">{dur(r.firstResponse.mean)}</td>
                    <td className="num">{dur(r.resolution.mean)}</td>
                    <td className="num">{pct(r.slaFirstResponse.met)}</td>
                    <td className="num">{pct(r.slaResolution.met)}</td>
                    <td className="num">
                      {r.csat.average === null ? '—' : formatNumber(r.csat.average, locale, { maximumFractionDigits: 2 })}
                      {r.csat.responses ? <span className="muted small"> ({num(r.csat.responses)})</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{t('serviceReports.none')}</p>
      )}
    </section>
  );

  const tables: Parameters<typeof breakdown>[] = [
    ['team', report.byTeam, (r) => teamName(r.key, r.name), (r) => (r.key === '0' ? null : { team: r.key })],
    [
      'agent',
      report.byAgent,
      (r) => `${agentName(r.key, r.name)} · ${teamName(String(r.teamId ?? 0), report.byTeam.find((x) => x.key === String(r.teamId))?.name ?? null)}`,
      (r) => (r.key === '0' || !r.teamId ? null : { assignee: r.key, team: r.teamId }),
    ],
    ['channel', report.byChannel, (r) => t(`ticketChannel.${r.key}`), (r) => ({ channel: r.key })],
    ['priority', report.byPriority, (r) => t(`ticketPriority.${r.key}`), (r) => ({ priority: r.key })],
  ];

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('serviceReports.title')}</h1>
        <AnalyticsNav />
        <RangePresets today={today} from={report.from} to={report.to} />
      </div>
      <Form method="get" className="filters" data-testid="report-filters">
        <RangeFields from={report.from} to={report.to} />
        <FilterSelect
          label={t('service.fields.channel')}
          name="channel"
          value={query.channel}
          options={TICKET_CHANNELS.map((c) => [c, t(`ticketChannel.${c}`)] as const)}
        />
        <FilterSelect
          label={t('service.fields.team')}
          name="team"
          value={query.team ? String(query.team) : ''}
          options={teams.map((x) => [String(x.id), x.name] as const)}
        />
        <FilterSelect
          label={t('service.fields.priority')}
          name="priority"
          value={query.priority}
          options={TICKET_PRIORITIES.map((p) => [p, t(`ticketPriority.${p}`)] as const)}
        />
        <CompareField value={query.compare} />
        <button type="submit">{t('common.filter')}</button>
      </Form>
      <p className="muted small" data-testid="time-basis">
        {t('serviceReports.basis')}
      </p>

      <div className="tiles">{kpis.map(tile)}</div>

      <section className="card chart-card">
        <div className="card-head">
          <h2>{t('serviceReports.volume')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-csv">
              {t('analytics.exportCsv')}
            </button>
            <button type="button" onClick={() => downloadChartSvg(`service-${report.from}-${report.to}.svg`, chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <p className="muted">{t('serviceReports.drillHint')}</p>
        <div ref={chart} data-testid="service-chart">
          <ResponsiveContainer width="100%" height={280}>
            <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" tickFormatter={dayLabel} minTickGap={16} />
              <YAxis allowDecimals={false} width={40} tickFormatter={(v: number) => num(v)} />
              <Tooltip labelFormatter={(v) => dayLabel(String(v))} formatter={(v, name) => [num(Number(v)), name]} />
              <Legend />
              <Bar
                dataKey="created"
                name={t('serviceReports.series.created')}
                fill={CHART_COLORS[0]}
                isAnimationActive={false}
                cursor="pointer"
                onClick={(p: { payload?: { day?: string } }) => p.payload?.day && navigate(queue(range('created', p.payload.day, p.payload.day)))}
              />
              <Bar
                dataKey="solved"
                name={t('serviceReports.series.solved')}
                fill={CHART_COLORS[2]}
                isAnimationActive={false}
                cursor="pointer"
                onClick={(p: { payload?: { day?: string } }) => p.payload?.day && navigate(queue(range('resolved', p.payload.day, p.payload.day)))}
              />
              {report.previous ? (
                <Line
                  dataKey="previousCreated"
                  name={t('serviceReports.series.previousCreated')}
                  stroke={CHART_COLORS[1]}
                  dot={false}
                  strokeDasharray="4 3"
                  isAnimationActive={false}
                />
              ) : null}
            </ComposedChart>
          </ResponsiveContainer>
        </div>
        <details>
          <summary>{t('serviceReports.byDay')}</summary>
          <table className="data-table series-table" data-testid="service-series">
            <thead>
              <tr>
                <th>{t('serviceReports.csv.day')}</th>
                <th className="num">{t('serviceReports.series.created')}</th>
                <th className="num">{t('serviceReports.series.solved')}</th>
                {report.previous ? <th className="num">{t('serviceReports.series.previousCreated')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {data.map((p) => (
                <tr key={p.day}>
                  <td>{dayLabel(p.day)}</td>
                  <td className="num">
                    <Link to={queue(range('created', p.day, p.day))} data-testid="drill-created">
                      {num(p.created)}
                    </Link>
                  </td>
                  <td className="num">
                    <Link to={queue(range('resolved', p.day, p.day))} data-testid="drill-solved">
                      {num(p.solved)}
                    </Link>
                  </td>
                  {report.previous ? <td className="num">{p.previousCreated === null ? '—' : num(p.previousCreated)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>

      <div className="grid-2">
        <section className="card chart-card" data-testid="service-times">
          <div className="card-head">
            <h2>{t('serviceReports.times')}</h2>
            <div className="actions">
              <button type="button" onClick={() => downloadChartSvg(`service-times-${report.from}-${report.to}.svg`, times.current)}>
                {t('analytics.exportImage')}
              </button>
            </div>
          </div>
          <p className="muted small">
            {t('serviceReports.timesSummary', {
              frt50: dur(cur.firstResponse.p50),
              frt90: dur(cur.firstResponse.p90),
              frtMean: dur(cur.firstResponse.mean),
              res50: dur(cur.resolution.p50),
              res90: dur(cur.resolution.p90),
              resMean: dur(cur.resolution.mean),
            })}
          </p>
          <div ref={times}>
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={distribution} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" interval={0} angle={-30} textAnchor="end" height={56} tick={{ fontSize: 11 }} />
                <YAxis allowDecimals={false} width={40} tickFormatter={(v: number) => num(v)} />
                <Tooltip formatter={(v, name) => [num(Number(v)), name]} />
                <Legend />
                <Bar dataKey="firstResponse" name={t('serviceReports.series.firstResponse')} fill={CHART_COLORS[0]} isAnimationActive={false} />
                <Bar dataKey="resolution" name={t('serviceReports.series.resolution')} fill={CHART_COLORS[4]} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </section>

        <section className="card chart-card" data-testid="service-csat">
          <h2>{t('serviceReports.csatTitle')}</h2>
          <p className="muted small">
            {t('serviceReports.csatSummary', {
              average: cur.csat.average === null ? '—' : formatNumber(cur.csat.average, locale, { maximumFractionDigits: 2 }),
              satisfied: pct(cur.csat.satisfied),
              count: cur.csat.responses,
            })}
          </p>
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={ratings} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="stars" tickFormatter={(v: string) => t('serviceReports.stars', { count: Number(v) })} />
              <YAxis allowDecimals={false} width={40} tickFormatter={(v: number) => num(v)} />
              <Tooltip
                labelFormatter={(v) => t('serviceReports.stars', { count: Number(v) })}
                formatter={(v) => [num(Number(v)), t('serviceReports.responses')]}
              />
              <Bar dataKey="n" name={t('serviceReports.responses')} fill={CHART_COLORS[2]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
          <h3>{t('serviceReports.slaTitle')}</h3>
          <ul className="plain-list" data-testid="service-sla">
            <li>
              {t('serviceReports.slaLine', {
                target: t('serviceReports.kpi.slaFirstResponse'),
                met: pct(cur.slaFirstResponse.met),
                targeted: num(cur.slaFirstResponse.targeted),
              })}{' '}
              <Link to={queue({ sla: 'missed_first_response', ...range('responded') })}>
                {t('serviceReports.missed', { count: cur.slaFirstResponse.missed })}
              </Link>
            </li>
            <li>
              {t('serviceReports.slaLine', {
                target: t('serviceReports.kpi.slaResolution'),
                met: pct(cur.slaResolution.met),
                targeted: num(cur.slaResolution.targeted),
              })}{' '}
              <Link to={queue({ sla: 'missed_resolution', ...range('resolved') })}>{t('serviceReports.missed', { count: cur.slaResolution.missed })}</Link>
            </li>
          </ul>
        </section>
      </div>

      <section className="card" data-testid="service-reasons">
        <h2>{t('serviceReports.reasons')}</h2>
        <p className="muted small">{t('serviceReports.reasonsHint')}</p>
        {report.reasons.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('serviceReports.tag')}</th>
                  <th className="num">{t('serviceReports.kpi.created')}</th>
                  <th className="num">{t('analytics.share')}</th>
                  {report.previous ? <th className="num">{t('serviceReports.series.previousCreated')}</th> : null}
                </tr>
              </thead>
              <tbody>
                {report.reasons.map((r) => (
                  <tr key={r.tag}>
                    <td>
                      {r.tag ? (
                        <Link to={queue({ tag: r.tag, ...range('created') })}>{r.tag}</Link>
                      ) : (
                        <span className="muted">{t('serviceReports.untagged')}</span>
                      )}
                    </td>
                    <td className="num">{num(r.tickets)}</td>
                    <td className="num">{cur.created ? pct(r.tickets / cur.created) : '—'}</td>
                    {report.previous ? <td className="num">{r.previous === null ? '—' : num(r.previous)}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('serviceReports.none')}</p>
        )}
      </section>

      {tables.slice(0, 2).map((b) => breakdown(...b))}
      <div className="grid-2">{tables.slice(2).map((b) => breakdown(...b))}</div>
    </>
  );
}
