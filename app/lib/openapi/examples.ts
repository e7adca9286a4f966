// Example requests shown in the OpenAPI document. They are test fixtures, not prose: the OpenAPI
// integration test (tests/integration/openapi.test.ts) sends every one of them to the real app against
// the demo data and checks the answer against the documented schema, so an example that stops working
// fails the build.
export const EXAMPLES = {
  order: {
    channel: 'web',
    externalId: 'WEB-100234',
    customer: { email: 'buyer@example.com', name: 'Buyer One', locale: 'en' },
    shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 },
    currency: 'USD',
    lines: [{ sku: 'HOT-1', quantity: 1, unitPrice: 1999 }],
    paymentMethod: 'test-card',
    paymentToken: 'tok_visa',
    shipping: 500,
  },
  orderPaidByChannel: {
    channel: 'web',
    externalId: 'WEB-100235',
    customer: { email: 'buyer@example.com', name: 'Buyer One' },
    shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.3601, lng: -71.0589 },
    currency: 'USD',
    lines: [{ sku: 'HOT-1', quantity: 2, unitPrice: 1999 }],
    paymentMethod: 'marketplace',
    paidAmount: 3998,
  },
  holdReason: { reason: 'Customer asked us to wait for a second parcel' },
  cardPayment: { provider: 'test-card', card: { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' } },
  tokenPayment: { provider: 'test-card', token: 'tok_visa' },
  manualPayment: { provider: 'manual', method: 'cash', amount: 1000 },
  capturePart: { amount: 1000 },
  refundPart: { amount: 500 },
  refundFull: { full: true },
  trackingEvent: { status: 'in_transit', occurredAt: '2026-03-01T09:30:00Z', description: 'Departed facility', location: 'Newark, NJ' },
  decision: { decision: 'approved', comment: 'Fine by finance' },
  ticket: {
    subject: 'Parcel arrived damaged',
    body: 'The box was crushed and the mug is broken.',
    email: 'buyer@example.com',
    name: 'Buyer One',
    tags: ['damaged'],
  },
  message: { body: 'Any news on my replacement?' },
  mail: [
    'From: buyer@example.com',
    'To: support@shop.test',
    'Subject: Where is my order?',
    'Message-ID: <example-1@customer.test>',
    '',
    'Hello, where is my order?',
  ].join('\r\n'),
} as const;
