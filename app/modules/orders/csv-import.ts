// CSV order import, the pure part: reads the file, groups its rows into orders by (channel,
// externalId), checks what can be checked without the server, builds one OrderInput-shaped body per
// order, and maps the server's answer (problem+json field paths such as `lines.2.sku`) back to the
// CSV lines they came from. No DOM and no I/O: the console page sends the orders and renders this.
import Papa from 'papaparse';
import { currencyExponent, isCurrency } from '../../lib/money.ts';
import { toMinorUnits } from '../channels/amounts.ts';

/** The columns of the import file, in the template's order. */
export const CSV_COLUMNS = [
  'channel',
  'externalId',
  'customerEmail',
  'customerName',
  'customerPhone',
  'line1',
  'city',
  'postalCode',
  'country',
  'lat',
  'lng',
  'currency',
  'sku',
  'quantity',
  'unitPrice',
  'paymentMethod',
  'deliveryMethod',
  'shipping',
  'tax',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export const REQUIRED_COLUMNS: readonly CsvColumn[] = [
  'channel',
  'externalId',
  'customerEmail',
  'customerName',
  'line1',
  'city',
  'country',
  'currency',
  'sku',
  'quantity',
  'unitPrice',
  'paymentMethod',
];
/** Columns that describe one order line; every other column describes the whole order. */
export const LINE_COLUMNS: readonly CsvColumn[] = ['sku', 'quantity', 'unitPrice'];
const ORDER_COLUMNS = CSV_COLUMNS.filter((c) => !LINE_COLUMNS.includes(c));
const ORDER_REQUIRED = REQUIRED_COLUMNS.filter((c) => !LINE_COLUMNS.includes(c));

/** The column the failed-rows file adds; ignored when that file is imported again. */
const REASON_COLUMN = 'reason';

/** Something to tell the user: an i18next key and its parameters (the page translates it). */
export interface Reason {
  key: string;
  params?: Record<string, string | number>;
}

/** A problem with one CSV line, optionally in one column. */
export interface RowIssue {
  line: number;
  column?: CsvColumn;
  reason: Reason;
}

export interface CsvRow {
  /** Line of the file the row starts on; the header is line 1. */
  line: number;
  /** The fields as read, for the failed-rows file. */
  fields: string[];
  /** Trimmed values by column ('' when absent). */
  values: Record<CsvColumn, string>;
}

export interface OrderLinePayload {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/** The body sent to POST /api/v1/orders (OrderInput's shape). */
export interface OrderPayload {
  channel: string;
  externalId: string;
  customer: { email: string; name: string; phone?: string };
  shippingAddress: { name?: string; line1: string; city: string; postalCode?: string; country: string; lat?: number; lng?: number };
  currency: string;
  lines: OrderLinePayload[];
  paymentMethod: string;
  deliveryMethod?: string;
  shipping?: number;
  tax?: number;
}

export interface ImportOrder {
  /** `channel` + NUL + `externalId`; rows without either get a key of their own. */
  key: string;
  channel: string;
  externalId: string;
  /** In file order; `rows[i]` is `payload.lines[i]`. */
  rows: CsvRow[];
  /** Problems found before sending; an order with any is not sent. */
  issues: RowIssue[];
  /** What to send, or null when `issues` is not empty. */
  payload: OrderPayload | null;
}

export interface ParsedImport {
  /** The header as written in the file. */
  header: string[];
  /** Problems with the file as a whole; when any, nothing is imported. */
  fileIssues: Reason[];
  orders: ImportOrder[];
  rowCount: number;
}

export const R = {
  missingColumns: 'csvImport.reasons.missingColumns',
  duplicateColumn: 'csvImport.reasons.duplicateColumn',
  noRows: 'csvImport.reasons.noRows',
  fieldCount: 'csvImport.reasons.fieldCount',
  badQuotes: 'csvImport.reasons.badQuotes',
  notWholeNumber: 'csvImport.reasons.notWholeNumber',
  notANumber: 'csvImport.reasons.notANumber',
  tooManyDecimals: 'csvImport.reasons.tooManyDecimals',
  unknownCurrency: 'csvImport.reasons.unknownCurrency',
  latLngTogether: 'csvImport.reasons.latLngTogether',
  conflict: 'csvImport.reasons.conflict',
  sameOrder: 'csvImport.reasons.sameOrder',
  keyReused: 'csvImport.reasons.keyReused',
  network: 'csvImport.reasons.network',
  httpStatus: 'csvImport.reasons.httpStatus',
  required: 'errors.validation.required',
  tooSmall: 'errors.validation.too_small',
  invalidAmount: 'errors.validation.invalid_amount',
} as const;

const shown = (v: string) => (v.length > 40 ? `${v.slice(0, 39)}…` : v);

/** Where each line of the text starts, so that a character offset can be turned into a line number. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * A decimal in major units ("19.99", "500", "1.250") as integer minor units of `currency`, by string
 * arithmetic. More decimals than the currency has are refused unless they are zeros.
 */
export function decimalToMinor(value: string, currency: string): { ok: true; minor: number } | { ok: false; reason: Reason } {
  const text = value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return { ok: false, reason: { key: R.invalidAmount, params: { value: shown(text) } } };
  const exponent = currencyExponent(currency);
  const fraction = m[2] ?? '';
  if (/[1-9]/.test(fraction.slice(exponent)))
    return { ok: false, reason: { key: R.tooManyDecimals, params: { currency, digits: exponent, value: shown(text) } } };
  const r = toMinorUnits(text, exponent);
  if (!r.ok) return { ok: false, reason: { key: R.invalidAmount, params: { value: shown(text) } } };
  return { ok: true, minor: r.minor };
}

/** The key every value of an order-level column is compared by (so "usd" and "USD" agree). */
function comparable(column: CsvColumn, value: string, currency: string): string {
  switch (column) {
    case 'customerEmail':
    case 'currency':
    case 'country':
    case 'deliveryMethod':
      return value.toLowerCase();
    case 'lat':
    case 'lng':
      return Number.isFinite(Number(value)) ? String(Number(value)) : value;
    case 'shipping':
    case 'tax': {
      if (!isCurrency(currency)) return value;
      const r = decimalToMinor(value, currency);
      return r.ok ? String(r.minor) : value;
    }
    default:
      return value;
  }
}

/** Reads the file: header, rows with their line numbers, grouped into orders and checked. */
export function parseOrdersCsv(input: string): ParsedImport {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const starts = lineStarts(text);
  const records: { line: number; fields: string[]; quotesBroken: boolean }[] = [];
  let offset = 0;
  Papa.parse<string[]>(text, {
    delimiter: ',',
    skipEmptyLines: false,
    step: (result) => {
      const begin = offset;
      offset = result.meta.cursor;
      const fields = result.data;
      if (fields.every((f) => f.trim() === '')) return; // blank line
      records.push({ line: lineAt(starts, begin), fields, quotesBroken: result.errors.some((e) => e.type === 'Quotes') });
    },
  });

  const empty: ParsedImport = { header: [], fileIssues: [{ key: R.noRows }], orders: [], rowCount: 0 };
  const [headRecord, ...body] = records;
  if (!headRecord) return empty;
  const header = headRecord.fields;

  // Columns by name, forgiving case and surrounding spaces; unknown columns are ignored.
  const index = new Map<CsvColumn, number>();
  const fileIssues: Reason[] = [];
  header.forEach((name, i) => {
    const column = CSV_COLUMNS.find((c) => c.toLowerCase() === name.trim().toLowerCase());
    if (!column) return;
    if (index.has(column)) fileIssues.push({ key: R.duplicateColumn, params: { column } });
    else index.set(column, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) fileIssues.push({ key: R.missingColumns, params: { columns: missing.join(', ') } });
  if (!body.length) fileIssues.push({ key: R.noRows });
  if (fileIssues.length) return { header, fileIssues, orders: [], rowCount: body.length };

  // Group rows into orders, in the order each order first appears.
  const orders = new Map<string, ImportOrder>();
  const rowIssues = new Map<CsvRow, RowIssue[]>();
  for (const record of body) {
    const values = Object.fromEntries(CSV_COLUMNS.map((c) => [c, (index.has(c) ? (record.fields[index.get(c)!] ?? '') : '').trim()])) as Record<
      CsvColumn,
      string
    >;
    const row: CsvRow = { line: record.line, fields: record.fields, values };
    const issues: RowIssue[] = [];
    if (record.quotesBroken) issues.push({ line: row.line, reason: { key: R.badQuotes } });
    const extra = record.fields.slice(header.length);
    if (record.fields.length < header.length || extra.some((f) => f.trim() !== '')) {
      issues.push({ line: row.line, reason: { key: R.fieldCount, params: { count: record.fields.length, expected: header.length } } });
    }
    rowIssues.set(row, issues);
    const { channel, externalId } = values;
    if (!channel || !externalId) {
      for (const column of ['channel', 'externalId'] as const) if (!values[column]) issues.push({ line: row.line, column, reason: { key: R.required } });
    }
    const key = channel && externalId ? `${channel}\u0000${externalId}` : `#${row.line}`;
    let order = orders.get(key);
    if (!order) orders.set(key, (order = { key, channel, externalId, rows: [], issues: [], payload: null }));
    order.rows.push(row);
  }

  for (const order of orders.values()) {
    const issues = order.rows.flatMap((r) => rowIssues.get(r)!);
    const payload = checkOrder(order, issues);
    issues.sort((a, b) => a.line - b.line);
    order.issues = issues;
    order.payload = issues.length ? null : payload;
  }
  return { header, fileIssues: [], orders: [...orders.values()], rowCount: body.length };
}

/** The checks that need no server, and the body to send when they pass. */
function checkOrder(order: ImportOrder, issues: RowIssue[]): OrderPayload {
  const [first] = order.rows;
  const v = first.values;
  const at = (row: CsvRow, column: CsvColumn, reason: Reason) => issues.push({ line: row.line, column, reason });

  for (const column of ORDER_REQUIRED) if (!v[column] && column !== 'channel' && column !== 'externalId') at(first, column, { key: R.required });
  const currency = v.currency.toUpperCase();
  const currencyOk = v.currency !== '' && isCurrency(currency);
  if (v.currency && !currencyOk) at(first, 'currency', { key: R.unknownCurrency, params: { value: shown(v.currency) } });

  // Later rows may leave order-level columns blank; what they do fill must agree with the first row.
  for (const row of order.rows.slice(1)) {
    for (const column of ORDER_COLUMNS) {
      const value = row.values[column];
      if (value === '' || comparable(column, value, currency) === comparable(column, v[column], currency)) continue;
      at(row, column, { key: R.conflict, params: { line: first.line, expected: shown(v[column]) || '—' } });
    }
  }

  const coordinate = (column: 'lat' | 'lng'): number | undefined => {
    const raw = v[column];
    if (!raw) return undefined;
    if (!/^[-+]?\d+(\.\d+)?$/.test(raw)) {
      at(first, column, { key: R.notANumber, params: { value: shown(raw) } });
      return undefined;
    }
    return Number(raw);
  };
  const lat = coordinate('lat');
  const lng = coordinate('lng');
  if ((v.lat === '') !== (v.lng === '')) at(first, v.lat ? 'lng' : 'lat', { key: R.latLngTogether });

  const money = (row: CsvRow, column: 'shipping' | 'tax' | 'unitPrice'): number | undefined => {
    const raw = row.values[column];
    if (!raw) return undefined;
    if (!currencyOk) return undefined; // reported on the currency column
    const r = decimalToMinor(raw, currency);
    if (!r.ok) {
      at(row, column, r.reason);
      return undefined;
    }
    return r.minor;
  };
  const shipping = money(first, 'shipping');
  const tax = money(first, 'tax');

  const lines = order.rows.map((row): OrderLinePayload => {
    const { sku, quantity } = row.values;
    if (!sku) at(row, 'sku', { key: R.required });
    const qty = /^\d+$/.test(quantity) ? Number(quantity) : 0;
    if (!quantity) at(row, 'quantity', { key: R.required });
    else if (!/^\d+$/.test(quantity)) at(row, 'quantity', { key: R.notWholeNumber, params: { value: shown(quantity) } });
    else if (qty < 1) at(row, 'quantity', { key: R.tooSmall, params: { min: 1 } });
    if (!row.values.unitPrice) at(row, 'unitPrice', { key: R.required });
    return { sku, quantity: qty, unitPrice: money(row, 'unitPrice') ?? 0 };
  });

  const optional = (s: string) => s || undefined;
  return {
    channel: order.channel,
    externalId: order.externalId,
    customer: { email: v.customerEmail, name: v.customerName, phone: optional(v.customerPhone) },
    shippingAddress: {
      name: optional(v.customerName),
      line1: v.line1,
      city: v.city,
      postalCode: optional(v.postalCode),
      country: v.country.toUpperCase(),
      lat,
      lng,
    },
    currency,
    lines,
    paymentMethod: v.paymentMethod,
    deliveryMethod: optional(v.deliveryMethod.toLowerCase()),
    shipping,
    tax,
  };
}

/** Order field paths (as the API names them) and the CSV column each came from. */
const FIELD_COLUMNS: Record<string, CsvColumn> = {
  channel: 'channel',
  externalId: 'externalId',
  currency: 'currency',
  paymentMethod: 'paymentMethod',
  deliveryMethod: 'deliveryMethod',
  shipping: 'shipping',
  tax: 'tax',
  'customer.email': 'customerEmail',
  'customer.name': 'customerName',
  'customer.phone': 'customerPhone',
  'shippingAddress.name': 'customerName',
  'shippingAddress.line1': 'line1',
  'shippingAddress.city': 'city',
  'shippingAddress.postalCode': 'postalCode',
  'shippingAddress.country': 'country',
  'shippingAddress.lat': 'lat',
  'shippingAddress.lng': 'lng',
};
const LINE_FIELD_COLUMNS: Record<string, CsvColumn> = { sku: 'sku', quantity: 'quantity', unitPrice: 'unitPrice' };

/** The CSV line and column an API field path (`lines.2.sku`, `customer.email`) points at. */
export function locateField(order: ImportOrder, field: string | undefined): { line: number; column?: CsvColumn } {
  const first = order.rows[0].line;
  if (!field) return { line: first };
  const m = /^lines\.(\d+)(?:\.(\w+))?/.exec(field);
  if (m) {
    const row = order.rows[Number(m[1])];
    return row ? { line: row.line, column: m[2] ? LINE_FIELD_COLUMNS[m[2]] : undefined } : { line: first };
  }
  return { line: first, column: FIELD_COLUMNS[field] };
}

interface ProblemLike {
  code?: string;
  messageKey?: string;
  detail?: string;
  field?: string;
  params?: Record<string, string | number>;
  errors?: { field?: string; code?: string; messageKey?: string; params?: Record<string, string | number> }[];
}

export type OrderOutcome =
  | { kind: 'imported'; id?: number; number?: string }
  | { kind: 'duplicate'; id?: number; number?: string }
  | { kind: 'failed'; issues: RowIssue[]; replayed: boolean };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the server's answer to one order means for the import. A replayed success (same file sent
 * again with the same Idempotency-Key) and a 409 duplicate_order both mean "already imported".
 */
export function outcomeOf(order: ImportOrder, status: number, body: unknown, replayed: boolean): OrderOutcome {
  if (status >= 200 && status < 300) {
    const b = isObject(body) ? body : {};
    const created = { id: typeof b.id === 'number' ? b.id : undefined, number: typeof b.number === 'string' ? b.number : undefined };
    return replayed ? { kind: 'duplicate', ...created } : { kind: 'imported', ...created };
  }
  const first = order.rows[0].line;
  if (status === 0) return { kind: 'failed', replayed, issues: [{ line: first, reason: { key: R.network } }] };
  const p: ProblemLike = isObject(body) ? body : {};
  if (status === 409 && p.code === 'duplicate_order') {
    const number = p.params?.number;
    return { kind: 'duplicate', number: number === undefined || number === '' ? undefined : String(number) };
  }
  if (p.code === 'idempotency_key_reused') return { kind: 'failed', replayed, issues: [{ line: first, reason: { key: R.keyReused } }] };
  const issues: RowIssue[] = (p.errors ?? []).map((e) => ({
    ...locateField(order, e.field),
    reason: { key: e.messageKey ?? `errors.validation.${e.code ?? 'custom'}`, params: e.params },
  }));
  if (!issues.length) {
    const reason: Reason = p.messageKey || p.code ? { key: p.messageKey ?? `errors.${p.code}`, params: p.params } : { key: R.httpStatus, params: { status } };
    issues.push({ ...locateField(order, p.field), reason });
  }
  issues.sort((a, b) => a.line - b.line);
  return { kind: 'failed', replayed, issues };
}

export interface FailedRow {
  line: number;
  channel: string;
  externalId: string;
  fields: string[];
  /** The row's own problems, or one saying which other lines sank its order. */
  issues: RowIssue[];
  /** Whether the failure is an answer the server stored for an earlier import of this file. */
  replayed: boolean;
}

/** Every row of every failed order, in file order; rows without problems of their own say which lines failed. */
export function failedRows(failed: { order: ImportOrder; issues: RowIssue[]; replayed: boolean }[]): FailedRow[] {
  const rows: FailedRow[] = [];
  for (const { order, issues, replayed } of failed) {
    const bad = [...new Set(issues.map((i) => i.line))].sort((a, b) => a - b);
    for (const row of order.rows) {
      const own = issues.filter((i) => i.line === row.line);
      rows.push({
        line: row.line,
        channel: order.channel,
        externalId: order.externalId,
        fields: row.fields,
        replayed,
        issues: own.length ? own : [{ line: row.line, reason: { key: R.sameOrder, params: { lines: bad.join(', ') } } }],
      });
    }
  }
  return rows.sort((a, b) => a.line - b.line);
}

/** The failed rows as a CSV file: the original columns plus `reason` (replacing one already there). */
export function failedRowsCsv(header: string[], rows: { fields: string[]; reason: string }[]): string {
  const keep = header.map((h, i) => (h.trim().toLowerCase() === REASON_COLUMN ? -1 : i)).filter((i) => i >= 0);
  const data = [[...keep.map((i) => header[i]), REASON_COLUMN], ...rows.map((r) => [...keep.map((i) => r.fields[i] ?? ''), r.reason])];
  return `\uFEFF${Papa.unparse(data, { newline: '\r\n' })}\r\n`;
}

/** A template with every column and one two-line example order. */
export function templateCsv(): string {
  const example = {
    channel: 'csv',
    externalId: 'CSV-1001',
    customerEmail: 'ada@example.com',
    customerName: 'Ada Lovelace',
    customerPhone: '+1 617 555 0100',
    line1: '1 Beacon St',
    city: 'Boston',
    postalCode: '02108',
    country: 'US',
    lat: '42.3576',
    lng: '-71.0627',
    currency: 'USD',
    paymentMethod: 'bank_transfer',
    deliveryMethod: 'standard',
    shipping: '5.00',
    tax: '0',
  };
  const data = [
    [...CSV_COLUMNS],
    CSV_COLUMNS.map((c) => (({ ...example, sku: 'SKU-1', quantity: '2', unitPrice: '19.99' }) as Record<string, string>)[c] ?? ''),
    CSV_COLUMNS.map(
      (c) =>
        (({ channel: example.channel, externalId: example.externalId, sku: 'SKU-2', quantity: '1', unitPrice: '5.50' }) as Record<string, string>)[c] ?? '',
    ),
  ];
  return `\uFEFF${Papa.unparse(data, { newline: '\r\n' })}\r\n`;
}

/** 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits. */
function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(s)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * The Idempotency-Key of one order of one file: the same file imported again sends the same keys,
 * so the server replays its first answers instead of creating orders twice. Readable when the ids
 * are plain, hashed otherwise (the API takes 1–255 visible ASCII characters).
 */
export function idempotencyKey(fileName: string, channel: string, externalId: string): string {
  const file = fnv1a64(fileName);
  const plain = `csv-import:${file}:${channel}:${externalId}`;
  if (/^[\w.-]+$/.test(channel) && /^[\w.-]+$/.test(externalId) && plain.length <= 255) return plain;
  return `csv-import-h:${file}:${fnv1a64(`${channel}\u0000${externalId}`)}`;
}

/** Runs `task` over `items` with at most `limit` running at once; resolves when all have settled. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
