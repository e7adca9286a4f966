// The settings screens over HTTP, as a browser posts their forms: saved changes redirect and are
// audited under the signed-in admin, bad or garbled posts answer 422 with the field's sentence and
// write nothing (never a 500), other roles get 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser, signIn } from '../support/http.ts';

let app: TestApp;
let admin: Browser;
beforeAll(async () => {
  app = await startTestApp();
  admin = await signedIn('admin');
});
afterAll(async () => {
  await app?.stop();
});

const signedIn = (role: string) => signIn(app, role);
const sql = (q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute(q, p);
const adminEmail = () => app.credentials.users.find((u) => u.role === 'admin')!.email;
const snapshot = async () =>
  JSON.stringify(
    await sql(`select (select json_agg(w order by id) from warehouse w) as w, (select json_agg(c order by id) from carrier c) as c,
  (select json_agg(ch order by id) from channel ch) as ch, (select json_agg(l.bin order by l.id) from inventory_level l) as bins, (select count(*) from audit_event) as audits`),
  );
/** HTML with entities such as &quot; and &#x27; read back, so sentences compare as the user reads them. */
const text = async (res: Response) =>
  (await res.text())
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&');

const RNO = {
  intent: 'save',
  warehouse: 'RNO',
  name: 'Reno DC',
  line1: '2500 E Greg St',
  city: 'Reno',
  postalCode: '89431',
  country: 'US',
  lat: '39.5296',
  lng: '-119.8138',
  active: 'on',
  pickMethod: 'single',
  pickBatchSize: '10',
};

describe('settings screens', () => {
  it('lists the three new sections on the settings page', async () => {
    const html = await (await admin.get('/settings')).text();
    for (const s of ['warehouses', 'carriers', 'channels']) expect(html).toContain(`data-testid="settings-${s}"`);
  });

  it('saves a warehouse edit: redirect, stored, audited under the admin', async () => {
    // A form posts to the page's own address, ?code= included.
    const res = await admin.post('/settings/warehouses?code=RNO', { ...RNO, pickMethod: 'zone', lat: '39.53' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/settings/warehouses?code=RNO&done=saved');
    expect((await sql(`select pick_method, lat from warehouse where code = 'RNO'`))[0]).toEqual({ pick_method: 'zone', lat: 39.53 });
    expect(await sql(`select actor_label, after from audit_event where action = 'warehouse.updated'`)).toEqual([
      { actor_label: adminEmail(), after: { code: 'RNO', lat: 39.53, pickMethod: 'zone' } },
    ]);
    const page = await text(await admin.get('/settings/warehouses?code=RNO&done=saved'));
    expect(page).toContain('Warehouse RNO saved.');
    expect(page).toMatch(/data-code="RNO"[^]*?data-testid="warehouse-pick-method">Zone</);
  });

  it("answers bad or garbled posts with 422 and the field's sentence, writing nothing", async () => {
    const before = await snapshot();
    const bad = await admin.post('/settings/warehouses?code=RNO', { ...RNO, lat: 'north', pickBatchSize: '500' });
    expect(bad.status).toBe(422);
    const html = await text(bad);
    expect(html).toContain('Latitude: enter a number from -90 to 90 (got “north”).');
    expect(html).toContain('Orders per list: enter a whole number from 1 to 100 (got “500”).');
    const posts: [string, Record<string, string>][] = [
      ['/settings/warehouses', { intent: 'save', warehouse: 'RNO' }],
      ['/settings/warehouses', { intent: 'save', warehouse: '', code: 'RNO', ...Object.fromEntries(Object.entries(RNO).filter(([k]) => k !== 'warehouse')) }],
      ['/settings/warehouses', { intent: 'bin', warehouse: 'EWR', sku: 'NO-SUCH-SKU', bin: 'A-1' }],
      ['/settings/warehouses', { intent: 'bin', warehouse: 'EWR', bin: '!!' }],
      ['/settings/warehouses', { intent: 'explode' }],
      [
        '/settings/carriers',
        { carrier: 'ups', name: 'UPS', trackingUrlTemplate: 'javascript:alert(1)//{tracking}', 'rules.0.service': 'Ground', 'rules.0.priority': 'first' },
      ],
      ['/settings/carriers', { carrier: 'ups', 'rules.0.serviceLevels': 'teleport', 'rules.1.priority': '1', 'rules.9999.service': 'x' }],
      ['/settings/carriers', { carrier: '', code: 'ups', name: 'UPS again', trackingUrlTemplate: 'https://x/{tracking}' }],
      ['/settings/channels', { intent: 'save', channel: 'web', name: 'Web', kind: 'web', currencies: 'USD, ZZZ' }],
      ['/settings/channels', { intent: 'save', channel: 'web' }],
      ['/settings/channels', { intent: 'other', channel: 'web' }],
    ];
    for (const [path, form] of posts) {
      const res = await admin.post(path, form);
      expect(res.status, `${path} ${JSON.stringify(form)}`).toBe(422);
      expect(await res.text()).toContain('role="alert"');
    }
    const carrier = await text(
      await admin.post('/settings/carriers?code=ups', {
        carrier: 'ups',
        name: 'UPS',
        trackingUrlTemplate: 'https://www.ups.com/track?tracknum={tracking}',
        active: 'on',
        'rules.0.service': 'Ground',
        'rules.0.serviceLevels': 'standard',
        'rules.0.priority': 'first',
      }),
    );
    expect(carrier).toContain('Rule 1, priority: enter a whole number from 0 to 9999 (got “first”).');
    for (const path of ['/settings/warehouses', '/settings/carriers', '/settings/channels']) {
      expect((await admin.post(path, { intent: 'save', warehouse: 'NOPE', carrier: 'nope', channel: 'nope', name: 'x' })).status, path).toBeLessThan(500);
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses other roles with 403 and writes nothing', async () => {
    const ops = await signedIn('ops_manager');
    const before = await snapshot();
    expect((await ops.post('/settings/warehouses', { ...RNO, pickMethod: 'wave' })).status).toBe(403);
    expect((await ops.post('/settings/carriers', { carrier: 'ups', name: 'Mine' })).status).toBe(403);
    expect((await ops.post('/settings/channels', { intent: 'rotate', channel: 'web' })).status).toBe(403);
    expect((await ops.get('/settings/carriers?code=new')).status).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it('edits a carrier rule and the rule tester answers with the new choice', async () => {
    const tester = '/settings/carriers?country=US&weight=500&level=standard';
    expect(await text(await admin.get(tester))).toContain('Ships with USPS, Ground Advantage.');
    const res = await admin.post('/settings/carriers?code=ups', {
      carrier: 'ups',
      name: 'UPS',
      trackingUrlTemplate: 'https://www.ups.com/track?tracknum={tracking}',
      active: 'on',
      'rules.0.service': 'Next Day Air',
      'rules.0.serviceLevels': 'express',
      'rules.0.countries': 'US',
      'rules.0.priority': '10',
      'rules.1.service': 'Ground Saver',
      'rules.1.serviceLevels': 'standard',
      'rules.1.countries': 'us',
      'rules.1.maxWeightGrams': '1000',
      'rules.1.priority': '5',
      'rules.2.serviceLevels': 'standard', // the form's spare row, left blank
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/settings/carriers?code=ups&done=saved');
    expect(await text(await admin.get(tester))).toContain('Ships with UPS, Ground Saver.');
    expect(await text(await admin.get('/settings/carriers?country=US&weight=5000&level=standard'))).toContain('Ships with USPS, Ground Advantage.');
    expect(await text(await admin.get('/settings/carriers?country=Mars&weight=0&level=standard'))).toContain(
      'Destination country: “Mars” is not an ISO country code',
    );
    expect((await sql(`select rules from carrier where code = 'ups'`))[0].rules).toHaveLength(2);
  });

  it('shows a rotated webhook secret once', async () => {
    const res = await admin.post('/settings/channels?code=momo', { intent: 'rotate', channel: 'momo' });
    expect(res.status).toBe(200);
    const secret = (await sql(`select webhook_secret from channel where code = 'momo'`))[0].webhook_secret;
    expect(await res.text()).toContain(secret);
    expect(await (await admin.get('/settings/channels?code=momo')).text()).not.toContain(secret);
    expect(await sql(`select actor_label from audit_event where action = 'channel.webhook_secret_rotated'`)).toEqual([{ actor_label: adminEmail() }]);
  });

  it("preselects the warehouse's own picking method on the fulfilment screen", async () => {
    // Newark, first in the list, batches (the demo data); Reno was set to zone above.
    const html = await text(await admin.get('/fulfilment'));
    expect(html).toMatch(/<select name="method" data-default="batch">/);
    expect(html).toMatch(/<option value="batch" selected="">Batch \(warehouse default\)<\/option>/);
  });
});

describe('the store profile (Settings → Store)', () => {
  const storeState = async () =>
    JSON.stringify(await sql(`select (select json_agg(s) from store_profile s) as s, (select count(*) from audit_event) as audits`));
  const tracking = async () => {
    const [o] = await sql(`select tracking_token from sales_order order by id limit 1`);
    return text(await fetch(`${app.url}/track/${o.tracking_token}`));
  };

  it('refuses a link that is not http(s), a product link without {sku} and an overlong name, naming the field, and writes nothing', async () => {
    const ops = await signedIn('ops_manager');
    const before = await storeState();
    for (const [form, field, sentence] of [
      [{ name: 'Lumen', logoUrl: 'javascript:alert(1)', productUrl: '' }, 'logoUrl', 'Not a web link (http or https): javascript:alert(1)'],
      [{ name: 'Lumen', logoUrl: '', productUrl: 'https://shop.example/p/' }, 'productUrl', 'The link needs {sku} where the product'],
      [{ name: 'x'.repeat(201), logoUrl: '', productUrl: '' }, 'name', 'Too long: at most 200 characters.'],
      [{ name: 'Lumen', logoUrl: `https://cdn.example/${'a'.repeat(500)}.png`, productUrl: '' }, 'logoUrl', 'Too long: at most 500 characters.'],
    ] as const) {
      const res = await admin.post('/settings/store', form);
      expect(res.status, field).toBe(422);
      expect(await text(res), field).toContain(sentence);
    }
    expect(await storeState()).toBe(before);
    // Only an admin may change it.
    expect((await ops.post('/settings/store', { name: 'Taken over', logoUrl: '', productUrl: '' })).status).toBe(403);
    expect(await storeState()).toBe(before);
  });

  it('saves the name, logo and product link, audited; the tracking page shows them, and an empty name falls back to the installation’s', async () => {
    const fallback = /data-testid="store-name">([^<]*)</.exec(await tracking())![1];
    expect(fallback).not.toBe('');
    const res = await admin.post('/settings/store', {
      name: '  Lumen Beauty  ',
      logoUrl: 'https://cdn.lumen.example/logo.svg',
      productUrl: 'https://lumen.example/p/{sku}',
    });
    expect(res.status).toBe(200);
    expect(await text(res)).toContain('Store profile saved.');
    expect(await sql(`select name, logo_url, product_url from store_profile`)).toEqual([
      { name: 'Lumen Beauty', logo_url: 'https://cdn.lumen.example/logo.svg', product_url: 'https://lumen.example/p/{sku}' },
    ]);
    expect(await sql(`select actor_label, before, after from audit_event where action = 'settings.store_saved'`)).toEqual([
      {
        actor_label: adminEmail(),
        before: { name: null, logoUrl: null, productUrl: null },
        after: { name: 'Lumen Beauty', logoUrl: 'https://cdn.lumen.example/logo.svg', productUrl: 'https://lumen.example/p/{sku}' },
      },
    ]);
    const page = await tracking();
    expect(page).toContain('data-testid="store-name">Lumen Beauty</strong>');
    expect(page).toContain('src="https://cdn.lumen.example/logo.svg"');
    // Saving the same again changes nothing and audits nothing.
    await admin.post('/settings/store', { name: 'Lumen Beauty', logoUrl: 'https://cdn.lumen.example/logo.svg', productUrl: 'https://lumen.example/p/{sku}' });
    expect(await sql(`select count(*)::int as n from audit_event where action = 'settings.store_saved'`)).toEqual([{ n: 1 }]);
    // Emptied: the name set at installation (STORE_NAME), and no logo.
    await admin.post('/settings/store', { name: '', logoUrl: '', productUrl: '' });
    const after = await tracking();
    expect(after).toContain(`data-testid="store-name">${fallback}</strong>`);
    expect(after).not.toContain('data-testid="store-logo"');
  });
});
