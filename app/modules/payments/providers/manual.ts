// `manual`: cash, bank transfer, cash on delivery. No gateway: staff mark the money received.
import crypto from 'node:crypto';
import type { PaymentProvider } from './types.ts';

const ref = (key: string) => `man_${crypto.createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

export const manualProvider: PaymentProvider = {
  id: 'manual',
  flow: 'manual',
  async authorise({ idempotencyKey }) {
    return { ok: true, providerRef: ref(idempotencyKey) };
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
