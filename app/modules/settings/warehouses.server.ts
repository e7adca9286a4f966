// Warehouses (Settings → Warehouses): address and coordinates (routing measures haversine distances
// from them), whether routing may use the warehouse, how it picks by default (pick lists made without
// a method use it), and the bins its stock sits in (a bin's first part is its pick zone).
import { setLevelBin } from '../inventory/stock.server.ts';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { z } from 'zod';
import { PICK_METHODS, type PickMethod } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { formErrors, isCountry, toNumber, toText } from './form.ts';

const NS = 'warehouseSettings';

const WarehouseInput = z.object({
  name: z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong'),
  line1: z.string({ error: 'line1Required' }).trim().min(1, 'line1Required').max(200, 'line1TooLong'),
  city: z.string({ error: 'cityRequired' }).trim().min(1, 'cityRequired').max(100, 'cityTooLong'),
  postalCode: z.preprocess(toText, z.string({ error: 'postalCodeTooLong' }).max(20, 'postalCodeTooLong').optional()),
  country: z.string({ error: 'countryInvalid' }).trim().toUpperCase().refine(isCountry, 'countryInvalid'),
  lat: z.preprocess(toNumber, z.number({ error: 'latRange' }).min(-90, 'latRange').max(90, 'latRange')),
  lng: z.preprocess(toNumber, z.number({ error: 'lngRange' }).min(-180, 'lngRange').max(180, 'lngRange')),
  active: z.boolean({ error: 'activeInvalid' }),
  pickMethod: z.enum(PICK_METHODS, { error: 'pickMethodInvalid' }),
  pickBatchSize: z.preprocess(
    toNumber,
    z.number({ error: 'pickBatchSizeRange' }).int('pickBatchSizeRange').min(1, 'pickBatchSizeRange').max(100, 'pickBatchSizeRange'),
  ),
});

/** A new warehouse also names its code: 2–12 capitals, digits or hyphens (as pick lists and reports show it). */
export const NewWarehouseInput = WarehouseInput.extend({
  // "NEW" would read as the screen's address for adding one (?code=new).
  code: z
    .string({ error: 'codeFormat' })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9][A-Z0-9-]{1,11}$/, 'codeFormat')
    .refine((c) => c !== 'NEW', 'codeFormat'),
});

export interface WarehouseRow {
  id: number;
  code: string;
  name: string;
  line1: string;
  city: string;
  postalCode: string | null;
  country: string;
  lat: number;
  lng: number;
  active: boolean;
  pickMethod: PickMethod;
  pickBatchSize: number;
  skus: number;
  units: number;
}

type Row = {
  id: number;
  code: string;
  name: string;
  line1: string;
  city: string;
  postal_code: string | null;
  country: string;
  lat: number;
  lng: number;
  active: boolean;
  pick_method: PickMethod;
  pick_batch_size: number;
  skus?: string;
  units?: string;
};

const toRow = (r: Row): WarehouseRow => ({
  id: r.id,
  code: r.code,
  name: r.name,
  line1: r.line1,
  city: r.city,
  postalCode: r.postal_code,
  country: r.country,
  lat: Number(r.lat),
  lng: Number(r.lng),
  active: r.active,
  pickMethod: r.pick_method,
  pickBatchSize: r.pick_batch_size,
  skus: Number(r.skus ?? 0),
  units: Number(r.units ?? 0),
});

const SELECT = `select w.id, w.code, w.name, w.line1, w.city, w.postal_code, w.country, w.lat, w.lng, w.active, w.pick_method, w.pick_batch_size,
    (select count(*) from inventory_level l where l.warehouse_id = w.id) as skus,
    (select coalesce(sum(l.on_hand), 0) from inventory_level l where l.warehouse_id = w.id) as units
  from warehouse w`;

export async function listWarehouses(em: EntityManager): Promise<WarehouseRow[]> {
  return (await em.execute<Row[]>(`${SELECT} order by w.code`)).map(toRow);
}

export async function getWarehouse(em: EntityManager, code: string): Promise<WarehouseRow | null> {
  const [row] = await em.execute<Row[]>(`${SELECT} where w.code = ?`, [code]);
  return row ? toRow(row) : null;
}

/** The fields an edit may change, as stored and as the audit records them. */
const EDITABLE = ['name', 'line1', 'city', 'postalCode', 'country', 'lat', 'lng', 'active', 'pickMethod', 'pickBatchSize'] as const;
type Editable = Pick<WarehouseRow, (typeof EDITABLE)[number]>;

/**
 * Creates a warehouse (`code` null: the code comes in the input) or changes one. Every field is
 * checked first; bad input is refused by field (422) and nothing is written. A change writes the
 * fields that differ and one audit event with them before and after, in one transaction; an edit
 * that changes nothing writes nothing.
 */
export async function saveWarehouse(
  orm: MikroORM,
  code: string | null,
  raw: Record<string, unknown>,
  actor: Actor,
): Promise<{ warehouse: WarehouseRow; created: boolean; changed: string[] }> {
  const parsed = (code === null ? NewWarehouseInput : WarehouseInput).safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const input: Editable = { ...parsed.data, postalCode: parsed.data.postalCode ?? null };
  return orm.em.fork().transactional(async (em) => {
    if (code === null) {
      const newCode = (parsed.data as z.infer<typeof NewWarehouseInput>).code;
      const row = await db(em)
        .insertInto('warehouse')
        .values({
          code: newCode,
          name: input.name,
          line1: input.line1,
          city: input.city,
          postal_code: input.postalCode,
          country: input.country,
          lat: input.lat,
          lng: input.lng,
          active: input.active,
          pick_method: input.pickMethod,
          pick_batch_size: input.pickBatchSize,
        })
        .onConflict((oc) => oc.column('code').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) throw invalid([{ field: 'code', code: 'code_taken', messageKey: `${NS}.errors.codeTaken`, params: { value: newCode } }]);
      audit(em, actor, { action: 'warehouse.created', entityType: 'Warehouse', entityId: row.id, after: { code: newCode, ...input } });
      return { warehouse: (await getWarehouse(em, newCode))!, created: true, changed: [...EDITABLE] };
    }
    const locked = await db(em).selectFrom('warehouse').select('id').where('code', '=', code).forUpdate().executeTakeFirst();
    if (!locked) throw new DomainError(404, 'not_found', `No warehouse ${code}.`);
    const current = (await getWarehouse(em, code))!;
    const changed = EDITABLE.filter((k) => current[k] !== input[k]);
    if (!changed.length) return { warehouse: current, created: false, changed };
    await db(em)
      .updateTable('warehouse')
      .set({
        name: input.name,
        line1: input.line1,
        city: input.city,
        postal_code: input.postalCode,
        country: input.country,
        lat: input.lat,
        lng: input.lng,
        active: input.active,
        pick_method: input.pickMethod,
        pick_batch_size: input.pickBatchSize,
      })
      .where('id', '=', current.id)
      .execute();
    audit(em, actor, {
      action: 'warehouse.updated',
      entityType: 'Warehouse',
      entityId: current.id,
      before: Object.fromEntries(changed.map((k) => [k, current[k]])),
      after: { code, ...Object.fromEntries(changed.map((k) => [k, input[k]])) },
    });
    return { warehouse: { ...current, ...input }, created: false, changed };
  });
}

// ---- Bins and zones ----

/** The zone of a bin, as pick-list planning reads it: the part before the first hyphen ("B-04-2" → "B"). */
const zoneOfBin = (bin: string | null) => (bin ? bin.split('-')[0] : null);

export interface ZoneRow {
  zone: string | null;
  skus: number;
  units: number;
}
export interface BinRow {
  sku: string;
  name: string;
  bin: string | null;
  onHand: number;
}

/** Stock of the warehouse by pick zone (null: SKUs with no bin, which zone picking lists as "?"). */
export async function listZones(em: EntityManager, warehouseId: number): Promise<ZoneRow[]> {
  const rows = await em.execute<{ zone: string | null; skus: string; units: string }[]>(
    `select nullif(split_part(coalesce(bin, ''), '-', 1), '') as zone, count(*) as skus, coalesce(sum(on_hand), 0) as units
       from inventory_level where warehouse_id = ? group by 1 order by 1 nulls last`,
    [warehouseId],
  );
  return rows.map((r) => ({ zone: r.zone, skus: Number(r.skus), units: Number(r.units) }));
}

/** The SKUs in one zone of the warehouse (zone null: those with no bin), by bin, at most `limit`. */
export async function listBins(em: EntityManager, warehouseId: number, zone: string | null, limit = 200): Promise<BinRow[]> {
  const rows = await db(em)
    .selectFrom('inventory_level as l')
    .innerJoin('product as p', 'p.id', 'l.product_id')
    .select(['p.sku', 'p.name', 'l.bin', 'l.on_hand'])
    .where('l.warehouse_id', '=', warehouseId)
    .where(zone === null ? sql<boolean>`nullif(l.bin, '') is null` : sql<boolean>`split_part(l.bin, '-', 1) = ${zone}`)
    .orderBy('l.bin', (ob) => ob.asc().nullsLast())
    .orderBy('p.sku')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ sku: r.sku, name: r.name, bin: r.bin, onHand: r.on_hand }));
}

export const BinInput = z.object({
  sku: z.string({ error: 'skuRequired' }).trim().min(1, 'skuRequired'),
  /** Zone, aisle, shelf…: capitals and digits in up to four hyphen-separated parts (A-01-2); empty: no bin. */
  bin: z.preprocess(
    toText,
    z
      .string({ error: 'binFormat' })
      .toUpperCase()
      .regex(/^[A-Z0-9]{1,6}(-[A-Z0-9]{1,6}){0,3}$/, 'binFormat')
      .optional(),
  ),
});

/**
 * Puts a SKU stocked in the warehouse in a bin (and so in that bin's zone). Pick lists made from
 * then on list it there; lists already made keep the bin they were made with. Audited.
 */
export async function setBin(
  orm: MikroORM,
  warehouseCode: string,
  raw: Record<string, unknown>,
  actor: Actor,
): Promise<{ sku: string; bin: string | null; zone: string | null; changed: boolean }> {
  const parsed = BinInput.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const code = parsed.data.sku;
  const bin = parsed.data.bin ?? null;
  return orm.em.fork().transactional(async (em) => {
    const level = await db(em)
      .selectFrom('inventory_level as l')
      .innerJoin('product as p', 'p.id', 'l.product_id')
      .innerJoin('warehouse as w', 'w.id', 'l.warehouse_id')
      .select(['l.id', 'l.bin', 'p.sku'])
      .where('w.code', '=', warehouseCode)
      .where((eb) => eb.or([eb('p.sku', '=', code), eb('p.barcode', '=', code)]))
      .forUpdate('l')
      .executeTakeFirst();
    if (!level) {
      const wh = await db(em).selectFrom('warehouse').select('id').where('code', '=', warehouseCode).executeTakeFirst();
      if (!wh) throw new DomainError(404, 'not_found', `No warehouse ${warehouseCode}.`);
      throw invalid([{ field: 'sku', code: 'not_stocked', messageKey: `${NS}.errors.skuNotStocked`, params: { value: code, warehouse: warehouseCode } }]);
    }
    const { sku } = level;
    if ((level.bin || null) === bin) return { sku, bin, zone: zoneOfBin(bin), changed: false };
    await setLevelBin(em, level.id, bin);
    audit(em, actor, {
      action: 'inventory.bin_changed',
      entityType: 'InventoryLevel',
      entityId: level.id,
      before: { bin: level.bin, zone: zoneOfBin(level.bin) },
      after: { warehouse: warehouseCode, sku, bin, zone: zoneOfBin(bin) },
    });
    return { sku, bin, zone: zoneOfBin(bin), changed: true };
  });
}
