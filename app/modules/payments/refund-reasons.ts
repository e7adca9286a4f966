/** Why staff refund an order without a return (the order page's refund form; shared with the page, so not server-only). */
export const REFUND_REASONS = ['late_delivery', 'damaged', 'missing_item', 'price_adjustment', 'goodwill', 'other'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];
