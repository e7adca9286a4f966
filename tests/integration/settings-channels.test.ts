import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { findWebhookChannel, verifyWebhookSignature, webhookSignature } from '../../app/modules/channels/webhooks.server.ts';
import { getChannel, listChannels, rotateWebhookSecret, saveChannel } from '../../app/modules/settings/channels.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { auditEvents, refusal } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, type: 'user' as const, id: 1, label: 'admin@test' };
const sql = (q: string, p: unknown[] = []) => db.orm.em.getConnection().execute(q, p);
const BASE = 'USD';
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('setchan');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  await sql(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('CH-1', 'CH1', 'Thing', 1, 1, 1, 1, 1000, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select p.id, w.id, 1000, 0, 0, 0, now() from product p, warehouse w where p.sku = 'CH-1'`,
  );
});
afterAll(async () => {
  await db.drop();
});

const channel = async (code: string) => (await getChannel(db.orm.em.fork(), code))!;
const form = (c: Awaited<ReturnType<typeof channel>>, change: Record<string, unknown> = {}) => ({
  name: c.name,
  kind: c.kind,
  currencies: c.currencies.join(', '),
  adapter: c.adapter ?? '',
  active: c.active,
  ...change,
});
const order = (channelCode: string, currency: string) =>
  createOrder(
    db.orm,
    {
      channel: channelCode,
      externalId: `SETCH-${++n}`,
      customer: { email: 'ch@example.com', name: 'Chan Nel' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency,
      lines: [{ sku: 'CH-1', quantity: 1, unitPrice: 1000 }],
      paymentMethod: 'test-card',
    },
    { actor, baseCurrency: BASE },
  );

describe('channels', () => {
  it('lists each channel with whether it has a webhook secret, never the secret', async () => {
    const list = await listChannels(db.orm.em.fork());
    expect(list.find((c) => c.code === 'web')).toMatchObject({
      adapter: 'shopify',
      currencies: ['USD', 'EUR', 'GBP'],
      secretFingerprint: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(list.find((c) => c.code === 'app')).toMatchObject({ adapter: null, secretFingerprint: null });
    const secret = (await sql(`select webhook_secret from channel where code = 'web'`))[0].webhook_secret;
    expect(JSON.stringify(list)).not.toContain(secret);
  });

  it('changes the currencies intake accepts, audited', async () => {
    await expect(order('app', 'GBP')).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'currency', code: 'currency_not_accepted' })] });
    const before = await channel('app');
    const r = await saveChannel(db.orm, 'app', form(before, { currencies: 'usd eur, GBP', name: 'Mobile app (iOS + Android)' }), actor, BASE);
    expect(r.changed).toEqual(['name', 'currencies']);
    expect(await channel('app')).toMatchObject({ name: 'Mobile app (iOS + Android)', currencies: ['USD', 'EUR', 'GBP'] });
    expect(await auditEvents(db, 'channel.updated')).toEqual([
      {
        actor_label: 'admin@test',
        entity_id: String(before.id),
        before: { name: 'Mobile app', currencies: ['USD', 'EUR'] },
        after: { code: 'app', name: 'Mobile app (iOS + Android)', currencies: ['USD', 'EUR', 'GBP'] },
      },
    ]);
    expect(await order('app', 'GBP')).toMatchObject({ replayed: false });
    expect((await saveChannel(db.orm, 'app', form(await channel('app')), actor, BASE)).changed).toEqual([]);
    expect(await auditEvents(db, 'channel.updated')).toHaveLength(1);
  });

  it('stops taking orders from a channel made inactive, and takes them again when it is back', async () => {
    const pos = await channel('pos-nyc');
    await saveChannel(db.orm, 'pos-nyc', form(pos, { active: false }), actor, BASE);
    await expect(order('pos-nyc', 'USD')).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'channel', code: 'unknown_channel' })] });
    await saveChannel(db.orm, 'pos-nyc', form(pos), actor, BASE);
    expect(await order('pos-nyc', 'USD')).toMatchObject({ replayed: false });
  });

  it('refuses bad input by field, a currency with no exchange rate included, and writes nothing', async () => {
    const before = await channel('tmall');
    const auditRows = (await sql('select count(*) as n from audit_event'))[0].n;
    const e = await refusal(saveChannel(db.orm, 'tmall', form(before, { name: ' ', kind: 'kiosk', currencies: 'CNY, yuan', adapter: 'magento' }), actor, BASE));
    expect(e.status).toBe(422);
    expect(e.errors!.map((x) => [x.field, x.messageKey, x.params?.value])).toEqual([
      ['name', 'channelSettings.errors.nameRequired', ' '],
      ['kind', 'channelSettings.errors.kindInvalid', 'kiosk'],
      ['currencies', 'channelSettings.errors.currencyInvalid', 'YUAN'],
      ['adapter', 'channelSettings.errors.adapterInvalid', 'magento'],
    ]);
    expect((await refusal(saveChannel(db.orm, 'tmall', form(before, { currencies: '' }), actor, BASE))).errors).toMatchObject([
      { field: 'currencies', messageKey: 'channelSettings.errors.currenciesRequired' },
    ]);
    // CHF is a currency, but intake could not convert it to the base currency.
    expect((await refusal(saveChannel(db.orm, 'tmall', form(before, { currencies: 'CNY, CHF' }), actor, BASE))).errors).toEqual([
      { field: 'currencies', code: 'no_exchange_rate', messageKey: 'channelSettings.errors.currencyNoRate', params: { value: 'CNY, CHF', currency: 'CHF' } },
    ]);
    expect(await channel('tmall')).toEqual(before);
    expect((await sql('select count(*) as n from audit_event'))[0].n).toBe(auditRows);
    await expect(saveChannel(db.orm, 'nope', form(before), actor, BASE)).rejects.toMatchObject({ status: 404 });
  });
});

describe('webhook secret rotation', () => {
  it('replaces the secret: deliveries signed with the old one fail, with the new one pass; the audit keeps fingerprints only', async () => {
    const body = Buffer.from('{"id":1}');
    const old = (await findWebhookChannel(db.orm.em.fork(), 'web'))!.webhookSecret!;
    const before = await channel('web');
    const r = await rotateWebhookSecret(db.orm, 'web', actor);
    expect(r.secret).toMatch(/^[0-9a-f]{64}$/);
    const stored = (await findWebhookChannel(db.orm.em.fork(), 'web'))!.webhookSecret!;
    expect(stored).toBe(r.secret);
    expect(verifyWebhookSignature(stored, body, webhookSignature(r.secret, body))).toBe(true);
    expect(verifyWebhookSignature(stored, body, webhookSignature(old, body))).toBe(false);
    expect((await channel('web')).secretFingerprint).toBe(r.fingerprint);
    const [a] = await auditEvents(db, 'channel.webhook_secret_rotated');
    expect(a).toEqual({
      actor_label: 'admin@test',
      entity_id: String(before.id),
      before: { secretFingerprint: before.secretFingerprint },
      after: { code: 'web', secretFingerprint: r.fingerprint },
    });
    const trail = JSON.stringify(await sql('select * from audit_event'));
    expect(trail).not.toContain(r.secret);
    expect(trail).not.toContain(old);
    // A channel with no secret gets its first one the same way.
    expect((await rotateWebhookSecret(db.orm, 'app', actor)).secret).not.toBe(r.secret);
    await expect(rotateWebhookSecret(db.orm, 'nope', actor)).rejects.toMatchObject({ status: 404 });
  });
});
