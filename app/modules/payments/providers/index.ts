import { manualProvider } from './manual.ts';
import { createTestCardProvider } from './test-card.ts';
import type { PaymentProvider } from './types.ts';

export type { CardDetails, PaymentProvider, ProviderResult } from './types.ts';

/** The built-in providers; plugins may register more. */
const registry = new Map<string, PaymentProvider>([
  ['manual', manualProvider],
  ['test-card', createTestCardProvider()],
]);

export function registerPaymentProvider(provider: PaymentProvider) {
  registry.set(provider.id, provider);
}

export function paymentProvider(id: string): PaymentProvider | undefined {
  return registry.get(id);
}

/** Which provider handles an order's payment method. */
export function providerForMethod(method: string): string {
  return method === 'test-card' || method === 'card' ? 'test-card' : 'manual';
}
