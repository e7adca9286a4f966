// What a returned unit is worth: what the customer paid for it. The order-level discount is shared over
// the lines in proportion to their value, and so is the tax when it was added on top of the prices (tax
// inside the prices is already in them); shipping is not refunded. Each line's value is then spread over
// its units, so that returning every unit of an order, in one RMA or several, gives back exactly what was
// paid for the goods, to the cent. Plain code (money.ts does the splitting).
import { allocate } from '../../lib/money.ts';

export interface PaidOrder {
  lines: readonly { sku: string; quantity: number; unitPrice: number }[];
  discount: number;
  tax: number;
  taxIncluded: boolean;
}
export interface ReturnedLine {
  sku: string;
  quantity: number;
}

export class NotOnOrderError extends Error {
  readonly sku: string;
  constructor(sku: string) {
    super(`More ${sku} returned than the order has.`);
    this.name = 'NotOnOrderError';
    this.sku = sku;
  }
}

/** The value of each unit of each line (minor units), in line order. */
function unitValues(order: PaidOrder): number[][] {
  const totals = order.lines.map((l) => l.quantity * l.unitPrice);
  const discount = allocate(order.discount, totals);
  const tax = order.taxIncluded ? totals.map(() => 0) : allocate(order.tax, totals);
  return order.lines.map((l, i) =>
    allocate(
      Math.max(0, totals[i] - discount[i] + tax[i]),
      Array.from({ length: l.quantity }, () => 1),
    ),
  );
}

/**
 * The refund for `returned` units, after the units that `earlier` returns (RMAs before this one) took:
 * units are taken line by line in order, the first units of a line first, so that the RMAs of one order
 * together never refund a unit twice nor more than was paid. Throws NotOnOrderError past what the order has.
 */
export function refundValue(order: PaidOrder, earlier: readonly ReturnedLine[], returned: readonly ReturnedLine[]): number {
  const values = unitValues(order);
  const used = order.lines.map(() => 0);
  const take = (line: ReturnedLine): number => {
    let left = line.quantity;
    let sum = 0;
    order.lines.forEach((l, i) => {
      if (l.sku !== line.sku || left <= 0) return;
      const n = Math.min(left, l.quantity - used[i]);
      for (let u = used[i]; u < used[i] + n; u++) sum += values[i][u];
      used[i] += n;
      left -= n;
    });
    if (left > 0) throw new NotOnOrderError(line.sku);
    return sum;
  };
  // Earlier returns may name more than the order has (a data fix, a replaced line): they take what there is.
  for (const line of earlier) {
    try {
      take(line);
    } catch (e) {
      if (!(e instanceof NotOnOrderError)) throw e;
    }
  }
  return returned.reduce((sum, line) => sum + take(line), 0);
}
