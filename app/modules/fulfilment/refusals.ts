/** Why a chosen order got no pick list (`pickRefusals.<reason>` in the console). Plain values: the browser bundle imports them. */
export const PICK_REFUSAL_REASONS = ['not_found', 'on_hold', 'not_paid', 'not_allocated', 'picked', 'closed'] as const;
export type PickRefusalReason = (typeof PICK_REFUSAL_REASONS)[number];
