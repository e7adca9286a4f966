// `test-card`: a simulated card gateway, labelled as such everywhere it appears. It behaves like a
// real one for the numbers below (as Stripe's test cards do) and never moves real money.
import crypto from 'node:crypto';
import type { PaymentProvider, ProviderResult } from './types.ts';

const TEST_CARDS = {
  '4242424242424242': 'success',
  '5555555555554444': 'success',
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000119': 'processing_error',
} as const;

/**
 * Payment tokens, as a storefront gets them from the gateway's card form (Stripe's test tokens): the OMS
 * stores and passes the token, never a card number.
 */
const TEST_TOKENS: Record<string, string> = {
  tok_visa: '4242424242424242',
  tok_mastercard: '5555555555554444',
  tok_chargeDeclined: '4000000000000002',
  tok_insufficientFunds: '4000000000009995',
  tok_processingError: '4000000000000119',
};
/** What a token looks like: `tok_` and letters, digits or underscores. */
export const PAYMENT_TOKEN = /^tok_[A-Za-z0-9_]{1,64}$/;

/** Luhn checksum, as every card number carries. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const ref = (key: string) => `tc_${crypto.createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

export function createTestCardProvider(now: () => Date = () => new Date()): PaymentProvider {
  return {
    id: 'test-card',
    flow: 'authorise_capture',
    async authorise({ card: given, token, idempotencyKey }): Promise<ProviderResult> {
      // A token stands for a card the gateway keeps: here, one of the test cards, valid for years.
      const card =
        token !== undefined
          ? TEST_TOKENS[token]
            ? { number: TEST_TOKENS[token], expMonth: 12, expYear: now().getUTCFullYear() + 5, cvc: '000' }
            : undefined
          : given;
      const number = card?.number.replace(/[\s-]/g, '') ?? '';
      if (!luhnValid(number)) return { ok: false, code: 'incorrect_number', retryable: false };
      const today = now();
      if (!card || card.expYear < today.getUTCFullYear() || (card.expYear === today.getUTCFullYear() && card.expMonth < today.getUTCMonth() + 1)) {
        return { ok: false, code: 'expired_card', retryable: false };
      }
      const outcome = TEST_CARDS[number as keyof typeof TEST_CARDS] ?? 'success';
      if (outcome !== 'success') return { ok: false, code: outcome, retryable: outcome === 'processing_error' };
      return { ok: true, providerRef: ref(idempotencyKey), cardLast4: number.slice(-4) };
    },
    async capture({ idempotencyKey }) {
      return { ok: true, providerRef: ref(idempotencyKey) };
    },
    async void({ idempotencyKey }) {
      return { ok: true, providerRef: ref(idempotencyKey) };
    },
    async refund({ idempotencyKey }) {
      return { ok: true, providerRef: ref(idempotencyKey) };
    },
  };
}
