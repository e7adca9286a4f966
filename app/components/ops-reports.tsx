// What the fulfilment and returns reports share: their filter form (range, grouping, channel, warehouse,
// country, compare), a KPI tile that compares with the previous period (saying which way is better), hours
// and shares formatted by Intl, and the link to the orders behind a figure.
import { Form } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { formatNumber } from '../lib/format.ts';
import type { Locale } from '../lib/i18n.ts';
import { FilterSelect } from './filter-select.tsx';
import { CompareField, RangeFields } from './report-controls.tsx';

const GROUPINGS = ['day', 'week', 'month'] as const;

export const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };

/** A share as a percentage, or — when there is nothing to share. */
export const formatShare = (x: number | null | undefined, locale: Locale) => (x === null || x === undefined ? '—' : formatNumber(x, locale, PERCENT));

/** Hours as hours (under two days) or days, in the reader's language; — for none. */
export function formatHours(h: number | null | undefined, locale: Locale): string {
  if (h === null || h === undefined) return '—';
  return h < 48
    ? formatNumber(h, locale, { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 })
    : formatNumber(h / 24, locale, { style: 'unit', unit: 'day', unitDisplay: 'short', maximumFractionDigits: 1 });
}

export interface OpsQuery {
  channel?: string;
  warehouse?: string;
  country?: string;
  compare: 'previous' | 'none';
  granularity: 'day' | 'week' | 'month';
}

/** The filter form of an operations report. */
export function OpsFilters({ from, to, query, channels, warehouses }: { from: string; to: string; query: OpsQuery; channels: string[]; warehouses: string[] }) {
  const { t } = useTranslation();
  return (
    <Form method="get" className="filters" data-testid="report-filters">
      <RangeFields from={from} to={to} />
      <label className="field">
        <span>{t('analytics.granularity')}</span>
        <select name="granularity" defaultValue={query.granularity}>
          {GROUPINGS.map((g) => (
            <option key={g} value={g}>
              {t(`analytics.by.${g}`)}
            </option>
          ))}
        </select>
      </label>
      <FilterSelect label={t('analytics.by.channel')} name="channel" value={query.channel} options={channels} />
      <FilterSelect
        label={t('analytics.by.warehouse')}
        name="warehouse"
        value={query.warehouse}
        options={[...warehouses, ['none', t('analytics.notRouted')]]}
      />
      <label className="field">
        <span>{t('analytics.by.country')}</span>
        <input name="country" defaultValue={query.country ?? ''} maxLength={2} size={3} placeholder="US" />
      </label>
      <CompareField value={query.compare} />
      <button type="submit">{t('common.filter')}</button>
    </Form>
  );
}

/**
 * A KPI tile: the figure, and against the previous period the figure then and whether it got better
 * (green) or worse (red) — `lowerIsBetter` for times and failure rates.
 */
export function Kpi({
  id,
  label,
  value,
  previous,
  format,
  lowerIsBetter = false,
  note,
}: {
  id: string;
  label: string;
  value: number | null;
  previous?: number | null;
  format: (n: number | null) => string;
  lowerIsBetter?: boolean;
  note?: string;
}) {
  const { t } = useTranslation();
  const compared = previous !== undefined;
  const diff = value !== null && previous !== null && previous !== undefined ? value - previous : null;
  const better = diff === null || diff === 0 ? null : diff < 0 === lowerIsBetter;
  return (
    <div className="tile kpi" data-testid={`kpi-${id}`}>
      <span className="tile-label">{label}</span>
      <span className="tile-value num">{format(value)}</span>
      {note ? <span className="muted">{note}</span> : null}
      {compared ? (
        <span className={`delta ${better === null ? 'flat' : better ? 'up' : 'down'}`}>{t('opsReports.previousWas', { value: format(previous ?? null) })}</span>
      ) : null}
    </div>
  );
}

/**
 * The orders list behind a figure, with the report's filters and `extra`: the orders placed in [from, to]
 * (`placed`), or those with a return opened then (`returned`).
 */
export function ordersHref(
  from: string,
  to: string,
  query: Pick<OpsQuery, 'channel' | 'warehouse' | 'country'>,
  extra: Record<string, string | undefined> = {},
  by: 'placed' | 'returned' = 'placed',
) {
  const p = new URLSearchParams(by === 'placed' ? { from, to } : { returned: '1', returnFrom: from, returnTo: to });
  const f: Record<string, string | undefined> = { channel: query.channel, warehouse: query.warehouse, country: query.country, ...extra };
  for (const [k, v] of Object.entries(f)) if (v && !(k === 'warehouse' && v === 'none')) p.set(k, v);
  return `/orders?${p}`;
}

/** The last day of the bucket that starts at `bucket` (clipped to the report's end). */
export function bucketEnd(bucket: string, g: 'day' | 'week' | 'month', to: string): string {
  const shift = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  const end =
    g === 'week' ? shift(bucket, 6) : g === 'month' ? shift(bucket, new Date(Date.UTC(+bucket.slice(0, 4), +bucket.slice(5, 7), 0)).getUTCDate() - 1) : bucket;
  return end > to ? to : end;
}
