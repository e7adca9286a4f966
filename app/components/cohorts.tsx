// The customers report's cohort sections: new vs returning customers per month, the monthly cohort retention
// table (a heatmap: the darker, the larger the share of the cohort ordering again), purchase frequency and the
// top customers. Figures from app/modules/analytics/cohorts.server.ts.
import { Form, Link } from '@remix-run/react';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CohortReport } from '../modules/analytics/cohorts.server.ts';
import { COHORT_MONTHS } from '../modules/analytics/cohorts.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { CHART_COLORS, downloadChartSvg, downloadCsv, formatBucket } from './charts.tsx';
import { DateOnly, useLocale } from './format.tsx';

const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 0 };

/** A heatmap cell's background: the share of the cohort, as the accent's opacity. */
/** The heatmap's blue, laid over the card's white at an opacity that grows with the share. */
export const HEAT = [29, 78, 216] as const;
export const opacity = (share: number) => Number((0.08 + 0.92 * Math.min(1, share)).toFixed(2));
const shade = (share: number) => `rgba(${HEAT.join(', ')}, ${opacity(share)})`;
/**
 * White or black figures, whichever contrasts more with the cell as drawn (WCAG relative luminance). One of the
 * two always reaches 4.5:1; a dark grey would not on the middle shades.
 */
export function inkOn(share: number): '#fff' | '#000' {
  const a = opacity(share);
  const channel = (c: number) => {
    const v = (255 - a * (255 - c)) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(HEAT[0]) + 0.7152 * channel(HEAT[1]) + 0.0722 * channel(HEAT[2]);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#000';
}

export function CohortSections({ report, months, currency, segment }: { report: CohortReport; months: number; currency: string; segment: string | null }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const chart = useRef<HTMLDivElement>(null);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const num = (n: number) => formatNumber(n, locale);
  const month = (m: string) => formatBucket(m, locale, 'month');
  // Months before the first customer are left out (a short history need not show a year of empty rows).
  const start = Math.max(
    0,
    report.newVsReturning.findIndex((r) => r.newCustomers + r.returningCustomers > 0),
  );
  const rows = report.newVsReturning.slice(start);
  const cohorts = report.retention.slice(start);
  const data = rows.map((r) => ({ ...r, label: month(r.month) }));

  const exportCsv = () =>
    downloadCsv(
      `cohorts-${report.months[0]}-${report.months[report.months.length - 1]}.csv`,
      cohorts.map((r) => ({
        [t('productReports.cohorts.csv.cohort')]: r.cohort.slice(0, 7),
        [t('productReports.cohorts.csv.customers')]: r.customers,
        ...Object.fromEntries(r.active.map((a, k) => [t('productReports.cohorts.monthPlus', { n: k + 1 }), a])),
      })),
    );

  return (
    <>
      <div className="page-head spaced" id="cohorts">
        <h2 className="page-title">{t('productReports.cohorts.title')}</h2>
        <Form method="get" className="filters inline" data-testid="cohort-filters" preventScrollReset>
          {segment ? <input type="hidden" name="segment" value={segment} /> : null}
          <label className="field">
            <span>{t('productReports.cohorts.months')}</span>
            <select name="months" defaultValue={String(months)}>
              {COHORT_MONTHS.map((n) => (
                <option key={n} value={n}>
                  {t('productReports.cohorts.lastMonths', { count: n })}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">{t('common.filter')}</button>
        </Form>
      </div>
      <p className="muted">{t('productReports.cohorts.intro', { currency })}</p>

      <section className="card chart-card" data-testid="new-vs-returning">
        <div className="card-head">
          <h2>{t('productReports.cohorts.newVsReturning')}</h2>
          <div className="actions">
            <button type="button" onClick={() => downloadChartSvg('new-vs-returning.svg', chart.current)}>
              {t('analytics.exportImage')}
            </button>
          </div>
        </div>
        <div ref={chart}>
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" minTickGap={8} />
              <YAxis allowDecimals={false} width={44} />
              <Tooltip formatter={(v, name) => [num(Number(v)), name]} />
              <Legend />
              <Bar dataKey="newCustomers" stackId="c" name={t('productReports.cohorts.new')} fill={CHART_COLORS[0]} isAnimationActive={false} />
              <Bar dataKey="returningCustomers" stackId="c" name={t('productReports.cohorts.returning')} fill={CHART_COLORS[2]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="new-vs-returning-table">
            <thead>
              <tr>
                <th>{t('productReports.cohorts.month')}</th>
                <th className="num">{t('productReports.cohorts.new')}</th>
                <th className="num">{t('productReports.cohorts.returning')}</th>
                <th className="num">{t('productReports.cohorts.returningShare')}</th>
                <th className="num">{t('productReports.cohorts.newRevenue')}</th>
                <th className="num">{t('productReports.cohorts.returningRevenue')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const all = r.newCustomers + r.returningCustomers;
                return (
                  <tr key={r.month} data-testid="month-row" data-month={r.month}>
                    <td>{month(r.month)}</td>
                    <td className="num">{num(r.newCustomers)}</td>
                    <td className="num">{num(r.returningCustomers)}</td>
                    <td className="num">{all ? formatNumber(r.returningCustomers / all, locale, PERCENT) : '—'}</td>
                    <td className="num">{money(r.newRevenue)}</td>
                    <td className="num">{money(r.returningRevenue)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card chart-card" data-testid="retention">
        <div className="card-head">
          <h2>{t('productReports.cohorts.retention')}</h2>
          <div className="actions">
            <button type="button" onClick={exportCsv} data-testid="export-cohorts">
              {t('analytics.exportCsv')}
            </button>
          </div>
        </div>
        <p className="muted small">{t('productReports.cohorts.retentionHint')}</p>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table heatmap" data-testid="retention-table">
            <thead>
              <tr>
                <th>{t('productReports.cohorts.cohort')}</th>
                <th className="num">{t('productReports.cohorts.customers')}</th>
                {Array.from({ length: report.offsets }, (_, k) => (
                  <th key={k} className="num">
                    {t('productReports.cohorts.monthPlus', { n: k + 1 })}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cohorts.map((r) => (
                <tr key={r.cohort} data-testid="cohort-row" data-cohort={r.cohort}>
                  <td>{month(r.cohort)}</td>
                  <td className="num">{num(r.customers)}</td>
                  {r.active.map((a, k) =>
                    a === null || !r.customers ? (
                      <td key={k} className="num muted">
                        {a === null ? '' : '—'}
                      </td>
                    ) : (
                      <td
                        key={k}
                        className="num"
                        style={{ background: shade(a / r.customers), color: inkOn(a / r.customers) }}
                        title={t('productReports.cohorts.cellTitle', { active: num(a), customers: num(r.customers), n: k + 1 })}
                        data-active={a}
                      >
                        {formatNumber(a / r.customers, locale, PERCENT)}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div>
        <section className="card chart-card" data-testid="frequency">
          <h2>{t('productReports.cohorts.frequency')}</h2>
          <p className="muted small">{t('productReports.cohorts.frequencyHint', { max: report.maxFrequency })}</p>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart
              data={report.frequency.map((f) => ({ ...f, label: f.orders === report.maxFrequency ? `${num(f.orders)}+` : num(f.orders) }))}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" interval={0} />
              <YAxis allowDecimals={false} width={44} />
              <Tooltip
                formatter={(v) => [num(Number(v)), t('productReports.cohorts.customers')]}
                labelFormatter={(v) => t('productReports.cohorts.ordersLabel', { orders: v })}
              />
              <Bar dataKey="customers" name={t('productReports.cohorts.customers')} fill={CHART_COLORS[4]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </section>

        <section className="card chart-card" data-testid="top-customers">
          <h2>{t('productReports.cohorts.top')}</h2>
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('productReports.cohorts.customer')}</th>
                  <th>{t('productReports.cohorts.cohort')}</th>
                  <th className="num">{t('productReports.cohorts.orders')}</th>
                  <th className="num">{t('productReports.cohorts.revenue')}</th>
                  <th>{t('productReports.cohorts.lastOrder')}</th>
                </tr>
              </thead>
              <tbody>
                {report.top.map((c) => (
                  <tr key={c.customerId} data-testid="top-customer" data-customer={c.customerId}>
                    <td>
                      <Link to={`/customers/${c.customerId}`}>{c.name}</Link>
                      <div className="muted small">{c.email}</div>
                    </td>
                    <td>
                      <time dateTime={c.cohort}>{month(c.cohort)}</time>
                    </td>
                    <td className="num">{num(c.orders)}</td>
                    <td className="num">{money(c.revenue)}</td>
                    <td>
                      <DateOnly value={c.lastOrderAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </>
  );
}
