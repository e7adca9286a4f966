// Warehouse routing: which warehouses ship which units of an order. Pure, so it is exact to test
// and the designer's simulation can run it without writing anything.

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface StockOption {
  levelId: number;
  warehouseId: number;
  warehouseCode: string;
  location: GeoPoint;
  productId: number;
  sku: string;
  atp: number;
}

export interface DemandLine {
  productId: number;
  sku: string;
  quantity: number;
}

export interface Allocation {
  levelId: number;
  warehouseId: number;
  warehouseCode: string;
  productId: number;
  sku: string;
  quantity: number;
}

export interface RoutingPlan {
  policy: 'nearest_full' | 'fewest_warehouses';
  allocations: Allocation[];
  shipments: number;
  /** Every warehouse considered, nearest first: its distance and whether it alone could ship everything. */
  considered: { code: string; distanceKm: number | null; canShipAll: boolean; atp: Record<string, number> }[];
}

export type RoutingResult = { ok: true; plan: RoutingPlan } | { ok: false; shortages: { sku: string; requested: number; available: number }[] };

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance in km. */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Sums lines of the same product so each product is routed once. */
function mergeDemand(lines: DemandLine[]): DemandLine[] {
  const byProduct = new Map<number, DemandLine>();
  for (const l of lines) {
    const d = byProduct.get(l.productId);
    if (d) d.quantity += l.quantity;
    else byProduct.set(l.productId, { ...l });
  }
  return [...byProduct.values()];
}

/**
 * Nearest warehouse that can ship everything; else the fewest warehouses that together can (ties
 * go to the smaller total distance), taking each unit from the nearest warehouse of that set; else the
 * shortages. Without a destination, warehouses are ranked by how much of the order they cover, then
 * by how much of those SKUs they hold.
 */
export function planRouting(destination: GeoPoint | null, demandLines: DemandLine[], stock: StockOption[]): RoutingResult {
  const demand = mergeDemand(demandLines);
  const warehouses = new Map<number, { id: number; code: string; distanceKm: number | null; atp: Map<number, { levelId: number; atp: number }> }>();
  for (const s of stock) {
    let w = warehouses.get(s.warehouseId);
    if (!w) {
      w = { id: s.warehouseId, code: s.warehouseCode, distanceKm: destination ? haversineKm(destination, s.location) : null, atp: new Map() };
      warehouses.set(s.warehouseId, w);
    }
    w.atp.set(s.productId, { levelId: s.levelId, atp: Math.max(0, s.atp) });
  }
  const atpOf = (w: { atp: Map<number, { atp: number }> }, productId: number) => w.atp.get(productId)?.atp ?? 0;
  const coverage = (w: { atp: Map<number, { atp: number }> }) => demand.reduce((n, d) => n + Math.min(d.quantity, atpOf(w, d.productId)), 0);
  const depth = (w: { atp: Map<number, { atp: number }> }) => demand.reduce((n, d) => n + atpOf(w, d.productId), 0);
  const ranked = [...warehouses.values()].sort((a, b) =>
    a.distanceKm !== null && b.distanceKm !== null
      ? a.distanceKm - b.distanceKm || a.id - b.id
      : coverage(b) - coverage(a) || depth(b) - depth(a) || a.id - b.id,
  );

  const shortages = demand
    .map((d) => ({ sku: d.sku, requested: d.quantity, available: ranked.reduce((n, w) => n + atpOf(w, d.productId), 0) }))
    .filter((s) => s.available < s.requested);
  if (shortages.length) return { ok: false, shortages };

  const considered = ranked.map((w) => ({
    code: w.code,
    distanceKm: w.distanceKm === null ? null : Math.round(w.distanceKm * 10) / 10,
    canShipAll: demand.every((d) => atpOf(w, d.productId) >= d.quantity),
    atp: Object.fromEntries(demand.map((d) => [d.sku, atpOf(w, d.productId)])),
  }));

  const fill = (set: typeof ranked): Allocation[] | null => {
    const out: Allocation[] = [];
    for (const d of demand) {
      let left = d.quantity;
      for (const w of set) {
        const take = Math.min(left, atpOf(w, d.productId));
        if (take > 0) {
          out.push({ levelId: w.atp.get(d.productId)!.levelId, warehouseId: w.id, warehouseCode: w.code, productId: d.productId, sku: d.sku, quantity: take });
          left -= take;
        }
        if (left === 0) break;
      }
      if (left > 0) return null;
    }
    return out;
  };

  const full = ranked.find((w) => demand.every((d) => atpOf(w, d.productId) >= d.quantity));
  if (full) {
    return { ok: true, plan: { policy: 'nearest_full', allocations: fill([full])!, shipments: 1, considered } };
  }

  // Smallest sets first; within a size, the smallest total distance (ranked order as tie-break).
  for (let size = 2; size <= ranked.length; size++) {
    let best: { allocations: Allocation[]; cost: number } | null = null;
    for (const set of combinations(ranked, size)) {
      const allocations = fill(set);
      if (!allocations) continue;
      const used = new Set(allocations.map((a) => a.warehouseId));
      const cost = set.reduce((sum, w, i) => sum + (w.distanceKm ?? i), 0);
      if (!best || cost < best.cost) best = { allocations, cost };
      if (used.size < size) break;
    }
    if (best) {
      return {
        ok: true,
        plan: { policy: 'fewest_warehouses', allocations: best.allocations, shipments: new Set(best.allocations.map((a) => a.warehouseId)).size, considered },
      };
    }
  }
  // Unreachable: total stock covers demand, so the set of all warehouses does.
  return { ok: false, shortages: [] };
}

function* combinations<T>(items: T[], size: number, start = 0, prefix: T[] = []): Generator<T[]> {
  if (prefix.length === size) {
    yield prefix;
    return;
  }
  for (let i = start; i <= items.length - (size - prefix.length); i++) yield* combinations(items, size, i + 1, [...prefix, items[i]]);
}
