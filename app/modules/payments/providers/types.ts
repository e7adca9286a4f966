// What the OMS needs from a payment provider. Every call carries an idempotency key: a provider
// given the same key twice must answer the first result again (Stripe and Adyen work this way).

export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export type ProviderResult =
  | { ok: true; providerRef: string; cardLast4?: string }
  | { ok: false; code: 'card_declined' | 'insufficient_funds' | 'incorrect_number' | 'expired_card' | 'processing_error'; retryable: boolean };

export interface PaymentProvider {
  readonly id: string;
  /** Whether money is taken in two steps (authorise, then capture) or marked received by staff. */
  readonly flow: 'authorise_capture' | 'manual';
  /** A card as the gateway's token (what a storefront sends; the OMS never sees the number), or, for the simulated gateway, the card itself. */
  authorise(input: { amountMinor: number; currency: string; card?: CardDetails; token?: string; idempotencyKey: string }): Promise<ProviderResult>;
  capture(input: { providerRef: string; amountMinor: number; idempotencyKey: string }): Promise<ProviderResult>;
  void(input: { providerRef: string; idempotencyKey: string }): Promise<ProviderResult>;
  refund(input: { providerRef: string; amountMinor: number; idempotencyKey: string }): Promise<ProviderResult>;
}
