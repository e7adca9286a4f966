// Soft risks: the order is valid, but a person should look before it goes on.
import type { DeliveryMethod, HoldReason } from '../../../entities/constants.ts';

export interface HoldPolicy {
  /** Orders above this total, in minor units of the base currency, wait for review. */
  highValueBaseMinor: number;
}

export const DEFAULT_HOLD_POLICY: HoldPolicy = { highValueBaseMinor: 200_000 };

export function holdReasons(
  order: { totalBaseMinor: number; deliveryMethod: DeliveryMethod; newCustomer: boolean; hasCoordinates: boolean },
  policy: HoldPolicy = DEFAULT_HOLD_POLICY,
): HoldReason[] {
  const reasons: HoldReason[] = [];
  if (order.totalBaseMinor > policy.highValueBaseMinor) reasons.push('high_value');
  if (order.newCustomer && order.deliveryMethod === 'express') reasons.push('new_customer_express');
  if (!order.hasCoordinates && order.deliveryMethod !== 'pickup') reasons.push('address_without_coordinates');
  return reasons;
}
