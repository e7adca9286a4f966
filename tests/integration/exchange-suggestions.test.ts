// The replacement suggestions the tracking page offers per returned product (exchangeOptions), on the
// real PostgreSQL: active products in stock somewhere, in the same currency, at the same list price or
// less; the product itself first, then its category, then the rest, each by name (then SKU); at most 50.
// Checked case by case and against a plain reading of those rules over a catalogue of a few hundred
// products, so that a faster query can never quietly answer something else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeOptions } from '../../app/modules/returns/service.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const suggest = async (...skus: string[]) => exchangeOptions(db.orm.em.fork(), skus);
const skusFor = async (sku: string) => (await suggest(sku))[sku].map((o) => o.sku);

type Row = { sku: string; name: string; category: string | null; price: number; currency: string; active: boolean; stock: [number, number][] };
const catalogue: Row[] = [];

/** A product with its stock per warehouse as [on hand, reserved]. */
async function product(r: Row) {
  catalogue.push(r);
  await sql(
    `insert into product (sku, barcode, name, category, weight_grams, length_mm, width_mm, height_mm, price_minor, currency, active) values (?, ?, ?, ?, 100, 1, 1, 1, ?, ?, ?)`,
    [r.sku, `BC-${r.sku}`, r.name, r.category, r.price, r.currency, r.active],
  );
  for (const [i, [onHand, reserved]] of r.stock.entries()) {
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, updated_at) select p.id, w.id, ?, ?, now() from product p, warehouse w where p.sku = ? and w.code = ?`,
      [onHand, reserved, r.sku, `XS-${i + 1}`],
    );
  }
}
const item = (sku: string, name: string, category: string | null, price: number, stock: [number, number][] = [[5, 0]], extra: Partial<Row> = {}): Row => ({
  sku,
  name,
  category,
  price,
  currency: 'XTS',
  active: true,
  stock,
  ...extra,
});

beforeAll(async () => {
  db = await createTestDatabase('suggest');
  await sql(
    `insert into warehouse (code, name, line1, city, country, lat, lng) values ('XS-1', 'One', 'x', 'c', 'US', 0, 0), ('XS-2', 'Two', 'x', 'c', 'US', 0, 0)`,
  );
  // Every product here is priced in XTS (the ISO code for tests), so nothing else in the database is a candidate.
  await product(item('RUN-42', 'Runner 42', 'run', 5_000));
  await product(
    item('RUN-43', 'Runner 43', 'run', 5_000, [
      [0, 0],
      [2, 1],
    ]),
  ); // in stock in the second warehouse only
  await product(
    item('RUN-44', 'Runner 44', 'run', 5_000, [
      [3, 3],
      [0, 0],
    ]),
  ); // all reserved
  await product(item('RUN-PRO', 'Runner Pro', 'run', 9_000)); // dearer
  await product(item('RUN-OLD', 'Runner Classic', 'run', 4_000, undefined, { active: false }));
  await product(item('RUN-EUR', 'Runner Euro', 'run', 100, undefined, { currency: 'EUR' }));
  await product(item('RUN-LITE', 'Runner Lite', 'run', 3_000));
  await product(item('CAP', 'A cap', 'hats', 1_000)); // sorts before every runner by name, but another category
  await product(item('SOCK-B', 'Sock', 'socks', 500));
  await product(item('SOCK-A', 'Sock', 'socks', 500)); // same name: by SKU
  await product(item('GIFT', 'Gift card', null, 2_000));
  await product(item('WRAP', 'Wrapping', null, 200));
  await product(item('SOLD-OUT', 'Sold-out runner', 'run', 5_000, [[0, 0]]));
  // A big category: 120 tees at 16.00 or less, every other one out of stock (60 in stock).
  for (let i = 0; i < 120; i++)
    await product(
      item(`TEE-${String(i).padStart(3, '0')}`, `Tee ${String(119 - i).padStart(3, '0')}`, 'tees', 1_000 + (i % 7) * 100, i % 2 ? [[0, 0]] : [[1, 0]]),
    );
  // And a varied catalogue for the comparison with the rules as written.
  const hash = (n: number) => Math.abs(Math.imul(n ^ 0x5bd1e995, 0x27d4eb2d) ^ (n >>> 3));
  for (let i = 0; i < 250; i++) {
    const h = hash(i + 1);
    await product(
      item(
        `MIX-${String(i).padStart(3, '0')}`,
        `Mix ${String(h % 97).padStart(2, '0')}`,
        h % 11 === 0 ? null : `mix-${h % 5}`,
        100 + (hash(i * 7 + 3) % 40) * 100,
        h % 4 === 0
          ? [[2, 2]]
          : [
              [h % 3, 0],
              [1, 0],
            ],
        { active: h % 13 !== 0 },
      ),
    );
  }
  await sql('analyze product');
  await sql('analyze inventory_level');
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

/** The rules as the page states them, applied to the rows above. */
function byTheRules(sku: string): string[] {
  const r = catalogue.find((c) => c.sku === sku)!;
  const inStock = (c: Row) => c.stock.some(([onHand, reserved]) => onHand > reserved);
  const group = (c: Row) => (c.sku === r.sku ? 0 : c.category === r.category ? 1 : 2);
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return catalogue
    .filter((c) => c.active && c.currency === r.currency && c.price <= r.price && inStock(c))
    .sort((a, b) => group(a) - group(b) || byName(a.name, b.name) || byName(a.sku, b.sku))
    .slice(0, 50)
    .map((c) => c.sku);
}

describe('replacement suggestions', () => {
  it('offers the same product first, then its category, then the rest, each by name and SKU: active, in stock, same currency, price ≤', async () => {
    const forRunner = await skusFor('RUN-42');
    // Itself; its category (RUN-43 has stock only in the second warehouse); then the rest from the top of the alphabet.
    expect(forRunner.slice(0, 5)).toEqual(['RUN-42', 'RUN-43', 'RUN-LITE', 'CAP', 'GIFT']);
    expect(forRunner).not.toContain('RUN-44'); // reserved to the last unit
    expect(forRunner).not.toContain('SOLD-OUT');
    expect(forRunner).not.toContain('RUN-PRO'); // dearer
    expect(forRunner).not.toContain('RUN-OLD'); // inactive
    expect(forRunner).not.toContain('RUN-EUR'); // another currency, however cheap
    expect(forRunner).toEqual(byTheRules('RUN-42'));
    // The cheap socks: themselves, then what costs no more: the wrapping and the cheapest mixed products.
    const forSocks = await skusFor('SOCK-B');
    expect(forSocks.slice(0, 2)).toEqual(['SOCK-B', 'SOCK-A']); // same category, same name: by SKU
    expect(forSocks).toContain('WRAP');
    expect(forSocks).toEqual(byTheRules('SOCK-B'));
    // Without a category, the other uncategorised products (the wrapping, the uncategorised mixed ones) come first.
    const forGift = await skusFor('GIFT');
    expect(forGift[0]).toBe('GIFT');
    expect(forGift.indexOf('WRAP')).toBeLessThan(forGift.indexOf('CAP'));
    expect(forGift).toEqual(byTheRules('GIFT'));
    // Out of stock itself: not offered, its category still first.
    expect((await skusFor('SOLD-OUT')).slice(0, 3)).toEqual(['RUN-42', 'RUN-43', 'RUN-LITE']);
  });

  it('offers at most 50: the category alone when it has enough, topped up with the rest when not', async () => {
    const forDearTee = await skusFor('TEE-062'); // 16.00: all 60 tees in stock cost no more
    expect(forDearTee).toHaveLength(50);
    expect(forDearTee[0]).toBe('TEE-062');
    expect(forDearTee.every((s) => s.startsWith('TEE-'))).toBe(true);
    expect(forDearTee).toEqual(byTheRules('TEE-062'));
    const forTee = await skusFor('TEE-010'); // 13.00: fewer tees in stock at or below, then others
    const tees = forTee.filter((s) => s.startsWith('TEE-'));
    expect(forTee).toHaveLength(50);
    expect(tees.length).toBeLessThan(50);
    expect(forTee.slice(0, tees.length)).toEqual(tees); // the category before anything else
    expect(forTee).toEqual(byTheRules('TEE-010'));
  });

  it('agrees with the rules as written for every product of the catalogue, each SKU answered once however often it is asked for', async () => {
    const skus = catalogue.map((c) => c.sku);
    const all = await suggest(...skus, 'RUN-42', 'NO-SUCH');
    expect(Object.keys(all).sort()).toEqual([...new Set([...skus, 'NO-SUCH'])].sort());
    expect(all['NO-SUCH']).toEqual([]);
    for (const sku of skus)
      expect(
        all[sku].map((o) => o.sku),
        sku,
      ).toEqual(byTheRules(sku));
    expect(all['RUN-42'][0]).toEqual({ sku: 'RUN-42', name: 'Runner 42' });
    expect(await suggest()).toEqual({});
  });
});
