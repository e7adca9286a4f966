// What every analytics report puts above its charts: the date-range presets, and the form's range and
// compare fields (the report adds its own filters between them). Ranges are whole days, as
// app/modules/analytics/range.ts reads them.
import { Link, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';

const DAY = 86_400_000;
const shift = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** The current query string with `changes` applied (for links that keep the report's other filters). */
export function useQueryWith() {
  const [params] = useSearchParams();
  return (changes: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) p.delete(k);
      else p.set(k, v);
    }
    return `?${p}`;
  };
}

/** Today, the last 7 / 30 / 90 days and this month, as links; the one matching the range is marked. */
export function RangePresets({ today, from, to }: { today: string; from: string; to: string }) {
  const { t } = useTranslation();
  const withQuery = useQueryWith();
  const presets: [string, string, string][] = [
    ['today', today, today],
    ['last7', shift(today, -6), today],
    ['last30', shift(today, -29), today],
    ['last90', shift(today, -89), today],
    ['thisMonth', `${today.slice(0, 7)}-01`, today],
  ];
  return (
    <nav className="presets" aria-label={t('analytics.presets')}>
      {presets.map(([key, f, tt]) => (
        <Link
          key={key}
          to={withQuery({ from: f, to: tt })}
          className={from === f && to === tt ? 'active' : ''}
          aria-current={from === f && to === tt ? 'true' : undefined}
        >
          {t(`analytics.preset.${key}`)}
        </Link>
      ))}
    </nav>
  );
}

/** The from / to date fields. */
export function RangeFields({ from, to }: { from: string; to: string }) {
  const { t } = useTranslation();
  return (
    <>
      <label className="field">
        <span>{t('analytics.from')}</span>
        <input type="date" name="from" defaultValue={from} required />
      </label>
      <label className="field">
        <span>{t('analytics.to')}</span>
        <input type="date" name="to" defaultValue={to} required />
      </label>
    </>
  );
}

/** Compare with the previous period of the same length, or not. */
export function CompareField({ value }: { value: 'previous' | 'none' }) {
  const { t } = useTranslation();
  return (
    <label className="field">
      <span>{t('analytics.compare')}</span>
      <select name="compare" defaultValue={value}>
        <option value="previous">{t('analytics.comparePrevious')}</option>
        <option value="none">{t('analytics.compareNone')}</option>
      </select>
    </label>
  );
}
