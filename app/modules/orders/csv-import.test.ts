import { describe, expect, it } from 'vitest';
import en from '../../locales/en/common.json' with { type: 'json' };
import { OrderInput } from './schemas.ts';
import {
  CSV_COLUMNS,
  R,
  decimalToMinor,
  failedRows,
  failedRowsCsv,
  forEachConcurrently,
  idempotencyKey,
  locateField,
  outcomeOf,
  parseOrdersCsv,
  templateCsv,
  type CsvColumn,
  type ImportOrder,
} from './csv-import.ts';

const HEADER = CSV_COLUMNS.join(',');
type Row = Partial<Record<CsvColumn, string>>;
const base: Row = {
  channel: 'web',
  externalId: 'A-1',
  customerEmail: 'ada@example.com',
  customerName: 'Ada Lovelace',
  line1: '1 Beacon St',
  city: 'Boston',
  postalCode: '02108',
  country: 'US',
  lat: '42.3576',
  lng: '-71.0627',
  currency: 'USD',
  sku: 'APP-1000',
  quantity: '1',
  unitPrice: '19.99',
  paymentMethod: 'test-card',
};
const csvLine = (row: Row) =>
  CSV_COLUMNS.map((c) => {
    const v = row[c] ?? '';
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',');
const file = (rows: Row[], eol = '\n') => [HEADER, ...rows.map(csvLine)].join(eol) + eol;
const issuesOf = (order: ImportOrder) => order.issues.map((i) => [i.line, i.column ?? null, i.reason.key]);

describe('decimalToMinor', () => {
  it('converts two-decimal currencies by the digits, never through a float', () => {
    expect(decimalToMinor('19.99', 'USD')).toEqual({ ok: true, minor: 1999 });
    expect(decimalToMinor('0.29', 'USD')).toEqual({ ok: true, minor: 29 }); // 0.29 * 100 is 28.999… as a float
    expect(decimalToMinor('1.1', 'EUR')).toEqual({ ok: true, minor: 110 });
    expect(decimalToMinor('20', 'USD')).toEqual({ ok: true, minor: 2000 });
    expect(decimalToMinor(' 4.50 ', 'USD')).toEqual({ ok: true, minor: 450 });
    expect(decimalToMinor('19.990', 'USD')).toEqual({ ok: true, minor: 1999 });
  });
  it('knows zero-decimal currencies (JPY)', () => {
    expect(decimalToMinor('1500', 'JPY')).toEqual({ ok: true, minor: 1500 });
    expect(decimalToMinor('1500.00', 'JPY')).toEqual({ ok: true, minor: 1500 });
    expect(decimalToMinor('1500.5', 'JPY')).toEqual({ ok: false, reason: { key: R.tooManyDecimals, params: { currency: 'JPY', digits: 0, value: '1500.5' } } });
  });
  it('knows three-decimal currencies (KWD, BHD)', () => {
    expect(decimalToMinor('1.234', 'KWD')).toEqual({ ok: true, minor: 1234 });
    expect(decimalToMinor('2.5', 'BHD')).toEqual({ ok: true, minor: 2500 });
    expect(decimalToMinor('0.001', 'KWD')).toEqual({ ok: true, minor: 1 });
    expect(decimalToMinor('1.2345', 'KWD')).toMatchObject({ ok: false, reason: { key: R.tooManyDecimals } });
  });
  it('refuses what is not a plain non-negative decimal', () => {
    for (const bad of ['', 'abc', '1,50', '-1.00', '1e3', '.5', '1.', '$5', '12 000']) {
      expect(decimalToMinor(bad, 'USD'), bad).toMatchObject({ ok: false, reason: { key: R.invalidAmount } });
    }
    expect(decimalToMinor('19.999', 'USD')).toMatchObject({ ok: false, reason: { key: R.tooManyDecimals } });
  });
});

describe('parseOrdersCsv', () => {
  it('groups rows into orders by channel and externalId, wherever they are in the file', () => {
    const parsed = parseOrdersCsv(
      file([
        base,
        { ...base, externalId: 'B-1', sku: 'FOO-1001', quantity: '3', unitPrice: '5' },
        { channel: 'web', externalId: 'A-1', sku: 'FOO-1001', quantity: '2', unitPrice: '7.50' },
        { ...base, channel: 'app' }, // same externalId, another channel: another order
      ]),
    );
    expect(parsed.fileIssues).toEqual([]);
    expect(parsed.rowCount).toBe(4);
    expect(parsed.orders.map((o) => [o.channel, o.externalId, o.rows.map((r) => r.line)])).toEqual([
      ['web', 'A-1', [2, 4]],
      ['web', 'B-1', [3]],
      ['app', 'A-1', [5]],
    ]);
    const a = parsed.orders[0];
    expect(a.issues).toEqual([]);
    expect(a.payload).toEqual({
      channel: 'web',
      externalId: 'A-1',
      customer: { email: 'ada@example.com', name: 'Ada Lovelace', phone: undefined },
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3576, lng: -71.0627 },
      currency: 'USD',
      lines: [
        { sku: 'APP-1000', quantity: 1, unitPrice: 1999 },
        { sku: 'FOO-1001', quantity: 2, unitPrice: 750 },
      ],
      paymentMethod: 'test-card',
      deliveryMethod: undefined,
      shipping: undefined,
      tax: undefined,
    });
    // What is sent is a valid OrderInput.
    for (const o of parsed.orders) expect(OrderInput.safeParse(o.payload).success).toBe(true);
  });

  it('takes shipping and tax from the first row of the order, in the order currency', () => {
    const parsed = parseOrdersCsv(
      file([
        { ...base, currency: 'JPY', unitPrice: '1500', shipping: '500', tax: '0' },
        { channel: 'web', externalId: 'A-1', sku: 'FOO-1001', quantity: '1', unitPrice: '800', shipping: '500.00' },
        { ...base, externalId: 'K-1', currency: 'kwd', unitPrice: '1.250', shipping: '0.5' },
      ]),
    );
    expect(parsed.orders.map((o) => o.issues)).toEqual([[], []]);
    expect(parsed.orders[0].payload).toMatchObject({ currency: 'JPY', shipping: 500, tax: 0, lines: [{ unitPrice: 1500 }, { unitPrice: 800 }] });
    expect(parsed.orders[1].payload).toMatchObject({ currency: 'KWD', shipping: 500, lines: [{ unitPrice: 1250 }] });
  });

  it('refuses rows of one order that disagree on an order-level column, naming the line', () => {
    const parsed = parseOrdersCsv(
      file([
        base,
        { ...base, sku: 'FOO-1001', customerEmail: 'ADA@example.com', shipping: '' }, // same email, other case: agrees
        { ...base, sku: 'FOO-1002', city: 'Cambridge' },
        { ...base, sku: 'FOO-1003', currency: 'EUR', lat: '42.35760' },
      ]),
    );
    const [order] = parsed.orders;
    expect(order.payload).toBeNull();
    expect(issuesOf(order)).toEqual([
      [4, 'city', R.conflict],
      [5, 'currency', R.conflict],
    ]);
    expect(order.issues[0].reason.params).toEqual({ line: 2, expected: 'Boston' });
  });

  it('reports missing values, non-numeric quantities and prices, and bad coordinates without sending the order', () => {
    const parsed = parseOrdersCsv(
      file([
        { ...base, quantity: 'two' },
        { ...base, externalId: 'B', customerEmail: '', unitPrice: '19,99' },
        { ...base, externalId: 'C', quantity: '0', lat: 'north' },
        { ...base, externalId: 'D', lng: '' },
        { ...base, externalId: '', sku: 'X' },
        { ...base, externalId: 'E', currency: 'ABC' },
      ]),
    );
    expect(parsed.orders.map((o) => o.payload)).toEqual([null, null, null, null, null, null]);
    expect(parsed.orders.map(issuesOf)).toEqual([
      [[2, 'quantity', R.notWholeNumber]],
      [
        [3, 'customerEmail', R.required],
        [3, 'unitPrice', R.invalidAmount],
      ],
      [
        [4, 'lat', R.notANumber],
        [4, 'quantity', R.tooSmall],
      ],
      [[5, 'lng', R.latLngTogether]],
      [[6, 'externalId', R.required]],
      [[7, 'currency', R.unknownCurrency]],
    ]);
    expect(parsed.orders[0].issues[0].reason.params).toEqual({ value: 'two' });
  });

  it('refuses a file whose header lacks required columns, or has none of its rows', () => {
    const missing = parseOrdersCsv('channel,externalId,sku,quantity\nweb,A,APP-1000,1\n');
    expect(missing.orders).toEqual([]);
    expect(missing.fileIssues).toEqual([
      { key: R.missingColumns, params: { columns: 'customerEmail, customerName, line1, city, country, currency, unitPrice, paymentMethod' } },
    ]);
    expect(parseOrdersCsv(`${HEADER}\n`).fileIssues).toEqual([{ key: R.noRows }]);
    expect(parseOrdersCsv('').fileIssues).toEqual([{ key: R.noRows }]);
    expect(parseOrdersCsv(`${HEADER},sku\n`).fileIssues[0]).toEqual({ key: R.duplicateColumn, params: { column: 'sku' } });
  });

  it('reads any column order, ignores unknown columns and forgives header case', () => {
    const cols = ['Reason', ...[...CSV_COLUMNS].reverse().map((c) => (c === 'sku' ? ' SKU ' : c))];
    const text = `${cols.join(',')}\nold reason,${[...CSV_COLUMNS]
      .reverse()
      .map((c) => base[c] ?? '')
      .join(',')}\n`;
    const [order] = parseOrdersCsv(text).orders;
    expect(order.issues).toEqual([]);
    expect(order.payload?.lines).toEqual([{ sku: 'APP-1000', quantity: 1, unitPrice: 1999 }]);
  });

  it('reads a BOM and CRLF line ends, skips blank lines and keeps physical line numbers', () => {
    const text = `\uFEFF${file([base, {}, { ...base, externalId: 'B', quantity: 'x' }], '\r\n')}`;
    const parsed = parseOrdersCsv(text);
    expect(parsed.fileIssues).toEqual([]);
    expect(parsed.header[0]).toBe('channel');
    expect(parsed.orders.map((o) => o.rows.map((r) => r.line))).toEqual([[2], [4]]);
    expect(parsed.orders[0].payload?.customer.email).toBe('ada@example.com');
    expect(issuesOf(parsed.orders[1])).toEqual([[4, 'quantity', R.notWholeNumber]]);
  });

  it('reads quoted fields with commas, quotes and line breaks, counting lines from where a row starts', () => {
    const parsed = parseOrdersCsv(
      file([
        { ...base, customerName: 'Lovelace, Ada "Countess"', line1: '1 Beacon St\nFloor 2' },
        { ...base, externalId: 'B', quantity: 'many' },
      ]),
    );
    expect(parsed.orders[0].payload?.customer.name).toBe('Lovelace, Ada "Countess"');
    expect(parsed.orders[0].payload?.shippingAddress.line1).toBe('1 Beacon St\nFloor 2');
    expect(parsed.orders[1].rows[0].line).toBe(4); // row 2 starts on line 4, after the two-line row
    expect(issuesOf(parsed.orders[1])).toEqual([[4, 'quantity', R.notWholeNumber]]);
  });

  it('refuses a row with more or fewer fields than the header', () => {
    const parsed = parseOrdersCsv(
      `${HEADER}\n${csvLine(base)},extra\n${csvLine({ ...base, externalId: 'B' })},,\n${csvLine({ ...base, externalId: 'C' })
        .split(',')
        .slice(0, 5)
        .join(',')}\n`,
    );
    expect(parsed.orders.map((o) => o.issues.filter((i) => i.reason.key === R.fieldCount).map((i) => i.line))).toEqual([[2], [], [4]]);
    expect(parsed.orders[1].payload).not.toBeNull(); // trailing empty fields are harmless
  });
});

describe('answers from the server', () => {
  const [order] = parseOrdersCsv(file([base, { ...base, sku: 'NOPE-1' }, { ...base, sku: 'FOO-1001' }])).orders;

  it('maps field paths back to the CSV line and column', () => {
    expect(locateField(order, 'lines.1.sku')).toEqual({ line: 3, column: 'sku' });
    expect(locateField(order, 'lines.2.quantity')).toEqual({ line: 4, column: 'quantity' });
    expect(locateField(order, 'customer.email')).toEqual({ line: 2, column: 'customerEmail' });
    expect(locateField(order, 'shippingAddress.lat')).toEqual({ line: 2, column: 'lat' });
    expect(locateField(order, 'lines')).toEqual({ line: 2 });
    expect(locateField(order, 'lines.9.sku')).toEqual({ line: 2 });
    expect(locateField(order, undefined)).toEqual({ line: 2 });
  });

  it('turns a 422 into issues on the lines at fault, and the other rows name them', () => {
    const outcome = outcomeOf(
      order,
      422,
      {
        code: 'validation_failed',
        messageKey: 'errors.validation_failed',
        errors: [{ field: 'lines.1.sku', code: 'unknown_sku', messageKey: 'errors.validation.unknown_sku', params: { sku: 'NOPE-1' } }],
      },
      false,
    );
    expect(outcome).toEqual({
      kind: 'failed',
      replayed: false,
      issues: [{ line: 3, column: 'sku', reason: { key: 'errors.validation.unknown_sku', params: { sku: 'NOPE-1' } } }],
    });
    if (outcome.kind !== 'failed') throw new Error('unreachable');
    const rows = failedRows([{ order, issues: outcome.issues, replayed: false }]);
    expect(rows.map((r) => [r.line, r.issues.map((i) => i.reason.key)])).toEqual([
      [2, [R.sameOrder]],
      [3, ['errors.validation.unknown_sku']],
      [4, [R.sameOrder]],
    ]);
    expect(rows[0].issues[0].reason.params).toEqual({ lines: '3' });
  });

  it('uses the problem itself when it names no fields', () => {
    expect(
      outcomeOf(
        order,
        409,
        { code: 'insufficient_stock', messageKey: 'errors.insufficient_stock', field: 'lines.2.quantity', params: { sku: 'FOO-1001' } },
        true,
      ),
    ).toEqual({
      kind: 'failed',
      replayed: true,
      issues: [{ line: 4, column: 'quantity', reason: { key: 'errors.insufficient_stock', params: { sku: 'FOO-1001' } } }],
    });
    expect(outcomeOf(order, 502, 'Bad gateway', false)).toMatchObject({
      kind: 'failed',
      issues: [{ line: 2, reason: { key: R.httpStatus, params: { status: 502 } } }],
    });
    expect(outcomeOf(order, 0, null, false)).toMatchObject({ kind: 'failed', issues: [{ line: 2, reason: { key: R.network } }] });
    expect(outcomeOf(order, 422, { code: 'idempotency_key_reused' }, false)).toMatchObject({
      kind: 'failed',
      issues: [{ line: 2, reason: { key: R.keyReused } }],
    });
  });

  it('counts a duplicate or a replayed success as already imported', () => {
    expect(outcomeOf(order, 201, { id: 7, number: 'SO-7' }, false)).toEqual({ kind: 'imported', id: 7, number: 'SO-7' });
    expect(outcomeOf(order, 201, { id: 7, number: 'SO-7' }, true)).toEqual({ kind: 'duplicate', id: 7, number: 'SO-7' });
    expect(outcomeOf(order, 409, { code: 'duplicate_order', params: { number: 'SO-7' } }, false)).toEqual({ kind: 'duplicate', number: 'SO-7' });
  });
});

describe('files and keys', () => {
  it('writes the failed rows with a reason column that a later import ignores', () => {
    const parsed = parseOrdersCsv(file([{ ...base, customerName: 'Lovelace, Ada', quantity: 'x' }]));
    const out = failedRowsCsv(parsed.header, [{ fields: parsed.orders[0].rows[0].fields, reason: 'quantity: not a number' }]);
    expect(out.startsWith('\uFEFF')).toBe(true);
    expect(out.slice(1).split('\r\n')[0]).toBe(`${HEADER},reason`);
    expect(out).toContain('"Lovelace, Ada"');
    const again = parseOrdersCsv(out);
    expect(again.header.at(-1)).toBe('reason');
    expect(issuesOf(again.orders[0])).toEqual([[2, 'quantity', R.notWholeNumber]]);
    // Exported again, the old reason column is replaced, not repeated.
    expect(
      failedRowsCsv(again.header, [{ fields: again.orders[0].rows[0].fields, reason: 'again' }])
        .slice(1)
        .split('\r\n')[0],
    ).toBe(`${HEADER},reason`);
  });

  it('offers a template that imports cleanly', () => {
    const parsed = parseOrdersCsv(templateCsv());
    expect(parsed.header).toEqual([...CSV_COLUMNS]);
    expect(parsed.orders).toHaveLength(1);
    expect(parsed.orders[0].issues).toEqual([]);
    expect(OrderInput.safeParse(parsed.orders[0].payload).success).toBe(true);
  });

  it('derives one stable Idempotency-Key per file and order, within the API limits', () => {
    const k = idempotencyKey('orders.csv', 'web', 'A-1');
    expect(k).toBe(idempotencyKey('orders.csv', 'web', 'A-1'));
    expect(k).not.toBe(idempotencyKey('orders (2).csv', 'web', 'A-1'));
    expect(k).not.toBe(idempotencyKey('orders.csv', 'web', 'A-2'));
    expect(k).not.toBe(idempotencyKey('orders.csv', 'app', 'A-1'));
    for (const key of [k, idempotencyKey('订单.csv', 'web', '订单 #1'), idempotencyKey('x.csv', 'web', 'Z'.repeat(128))]) {
      expect(key).toMatch(/^[\x21-\x7e]{1,255}$/);
    }
    expect(idempotencyKey('a.csv', 'web', 'a:b')).not.toBe(idempotencyKey('a.csv', 'web:a', 'b'));
  });

  it('runs at most the given number of tasks at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently([5, 1, 4, 2, 3, 1, 1], 4, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      done.push(i);
    });
    expect(peak).toBe(4);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('names only reasons and columns the translations have', () => {
    const has = (key: string) => key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], en) !== undefined;
    expect(Object.values(R).filter((key) => !has(key))).toEqual([]);
    expect(CSV_COLUMNS.map((c) => `csvImport.columns.${c}`).filter((key) => !has(key))).toEqual([]);
  });
});
