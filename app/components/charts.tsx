// What every chart shares: the palette (readable on white and for the common colour blindnesses), axis
// and tooltip formats by Intl in the reader's language, and exports of what a chart shows (CSV, and the
// chart itself as an SVG image).
import Papa from 'papaparse';
import type { Locale } from '../lib/i18n.ts';

export const CHART_COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0891b2', '#db2777', '#65a30d'];

export const formatMinute = (iso: string, locale: Locale, timeZone: string) =>
  new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

/** A bucket label (YYYY-MM-DD, or YYYY-MM-DDTHH:00 for hours) as a short date (and hour) in `locale`. */
export function formatBucket(bucket: string, locale: Locale, granularity: 'hour' | 'day' | 'week' | 'month'): string {
  const [day, time] = bucket.split('T');
  const date = new Date(`${day}T00:00:00Z`);
  if (granularity === 'month') return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
  const d = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
  return time ? `${d} ${time}` : d;
}

/** Downloads rows as a CSV file (Papa Parse quotes what needs quoting; a BOM so spreadsheet apps read UTF-8 Chinese). */
export function downloadCsv(filename: string, rows: Record<string, string | number | null>[]): void {
  download(filename, new Blob(['\ufeff', Papa.unparse(rows)], { type: 'text/csv;charset=utf-8' }));
}

/** Downloads the chart inside `container` as an SVG image, with its computed colours and a white background. */
export function downloadChartSvg(filename: string, container: HTMLElement | null): void {
  const svg = container?.querySelector('svg.recharts-surface');
  if (!svg) return;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('style', 'background:#fff;font-family:sans-serif');
  download(filename, new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' }));
}

function download(filename: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
