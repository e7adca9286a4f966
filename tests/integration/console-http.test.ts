import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, AuditEvent, User } from '../../entities/index.ts';
import { AREAS, can, ROLES, type Permission } from '../../app/lib/permissions.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser, signIn } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const emailFor = (role: string) => app.credentials.users.find((u) => u.role === role)!.email;
const signedIn = (role: string) => signIn(app, role);

/** Every page the console serves and the permission it needs. New route files must be listed here. */
const PAGES: { path: string; permission: Permission; okStatus?: number }[] = [
  // The Analytics area opens on the sales report for those who may read it; others are sent to their first report (below).
  ...AREAS.map((a) => ({ path: a.path, permission: a.id === 'analytics' ? ('analytics.view' as const) : a.permission })),
  { path: '/settings/users', permission: 'settings.view' },
  { path: '/settings/api-keys', permission: 'settings.view' },
  { path: '/settings/audit', permission: 'audit.view' },
  { path: '/settings/notifications', permission: 'settings.view' },
  { path: '/orders/1', permission: 'orders.view' },
  { path: '/customers/1', permission: 'service.view' },
  { path: '/settings/exchange-rates', permission: 'settings.view' },
  { path: '/settings/store', permission: 'settings.view' },
  { path: '/orders/new', permission: 'orders.manage' },
  { path: '/workflows/standard-order', permission: 'workflows.view' },
  { path: '/workflows/runs/no-such-run', permission: 'workflows.view', okStatus: 404 },
  { path: '/orders/import', permission: 'orders.manage' },
  { path: '/fulfilment/pick-lists/999999', permission: 'fulfilment.view', okStatus: 404 },
  { path: '/fulfilment/pick-lists/print?ids=999999', permission: 'fulfilment.view', okStatus: 404 },
  { path: '/orders?status=on_hold', permission: 'orders.view' },
  { path: '/inventory?low=1', permission: 'inventory.view' },
  { path: '/orders?late=1', permission: 'orders.view' },
  { path: '/analytics/replenishment', permission: 'analytics.view' },
  { path: '/analytics/replenishment?warehouse=EWR&different=1', permission: 'analytics.view' },
  { path: '/analytics/customers', permission: 'analytics.view' },
  { path: '/analytics/customers?segment=champions', permission: 'analytics.view' },
  { path: '/analytics/service', permission: 'analytics.service' },
  { path: '/analytics/service?from=2026-01-01&to=2026-03-31&channel=email&priority=high&team=1&compare=previous', permission: 'analytics.service' },
  { path: '/service?view=all&state=open&sla=at_risk&dates=resolved&from=2026-01-01&to=2026-01-31', permission: 'service.view' },
  { path: '/analytics/workflows', permission: 'analytics.view' },
  { path: '/analytics/workflows?from=2026-01-01&to=2026-01-31&flow=standard-order&version=1&compare=none', permission: 'analytics.view' },
  { path: '/analytics/customers?months=24&segment=loyal', permission: 'analytics.view' },
  { path: '/analytics/products', permission: 'analytics.view' },
  {
    path: '/analytics/products?from=2026-01-01&to=2026-03-31&channel=web&warehouse=EWR&category=Toys&top=20&idle=90&sort=units&compare=none',
    permission: 'analytics.view',
  },
  { path: '/orders?sku=APP-1000&from=2026-01-01', permission: 'orders.view' },
  { path: '/analytics/margin', permission: 'analytics.view' },
  { path: '/analytics/margin?from=2025-01-01&to=2026-03-31&granularity=day&channel=web&warehouse=none&compare=none', permission: 'analytics.view' },
  { path: '/orders?paymentFailed=2026-01-01', permission: 'orders.view' },
  { path: '/analytics?from=2026-01-01&to=2026-03-31&granularity=week&channel=web&compare=previous', permission: 'analytics.view' },
  { path: '/analytics?granularity=hour&from=2026-02-01&to=2026-02-03&warehouse=none&country=us', permission: 'analytics.view' },
  { path: '/analytics/fulfilment', permission: 'analytics.fulfilment' },
  {
    path: '/analytics/fulfilment?from=2026-01-01&to=2026-03-31&granularity=week&channel=web&warehouse=EWR&country=us&compare=previous',
    permission: 'analytics.fulfilment',
  },
  { path: '/analytics/returns', permission: 'analytics.fulfilment' },
  { path: '/analytics/returns?from=2026-02-01&to=2026-02-03&granularity=month&warehouse=none&compare=none', permission: 'analytics.fulfilment' },
  {
    path: '/orders?from=2026-01-01&to=2026-01-31&country=us&paymentMethod=card&paymentFailed=any&holdReason=manual&shipLate=1',
    permission: 'orders.view',
  },
  {
    path: '/orders?cancelReason=-&deliverLate=1&returned=1&returnReason=damaged&returnResolution=exchange&returnSku=X&returnFrom=2026-01-01&returnTo=2026-01-31',
    permission: 'orders.view',
  },
  { path: '/workflows/tasks', permission: 'workflows.view' },
  { path: '/workflows/bindings', permission: 'workflows.view' },
  { path: '/settings/warehouses?code=EWR', permission: 'settings.view' },
  { path: '/settings/carriers?code=ups&country=US&weight=500&level=standard', permission: 'settings.view' },
  { path: '/settings/channels?code=web', permission: 'settings.view' },
  { path: '/purchasing?status=sent&supplier=NO-SUCH&warehouse=EWR&q=PO&page=2', permission: 'inventory.view' },
  { path: '/purchasing/suppliers', permission: 'inventory.view' },
  { path: '/purchasing/999999', permission: 'inventory.view', okStatus: 404 },
  { path: '/service?view=breached&status=open&priority=high&q=%E9%80%80%E6%AC%BE&sort=due', permission: 'service.view' },
  { path: '/service/999999', permission: 'service.view', okStatus: 404 },
  { path: '/service/attachments/999999', permission: 'service.view', okStatus: 404 },
  { path: '/settings/teams', permission: 'service.settings' },
  { path: '/settings/agents?code=new', permission: 'service.settings' },
  { path: '/settings/sla?code=new', permission: 'service.settings' },
  { path: '/settings/calendars?code=999999', permission: 'service.settings', okStatus: 404 },
  { path: '/settings/canned-responses', permission: 'service.settings' },
  { path: '/settings/canned-responses?id=new', permission: 'service.settings' },
  { path: '/settings/macros', permission: 'service.settings' },
  { path: '/settings/macros?id=999999', permission: 'service.settings', okStatus: 404 },
  { path: '/settings/approval-limits', permission: 'service.settings' },
  { path: '/settings/api-docs', permission: 'settings.view' },
  { path: '/settings/webhooks', permission: 'settings.manage' },
  { path: '/settings/webhooks/999999', permission: 'settings.manage', okStatus: 404 },
];
const PUBLIC_ROUTES = [
  'login.tsx',
  'logout.ts',
  'locale.ts',
  'healthz.ts',
  '_app.tsx',
  '_app._index.tsx',
  'api.v1.channels.$channelId.webhooks.ts',
  'track.$token.tsx',
  'csat.$token.tsx',
  'api.v1.openapi[.]json.ts',
];
const COVERED_ROUTES = [
  '_app.$area.tsx',
  '_app.dashboards.tsx',
  '_app.analytics._index.tsx',
  '_app.analytics.replenishment.tsx',
  '_app.analytics.customers.tsx',
  '_app.analytics.service.tsx',
  '_app.analytics.workflows.tsx',
  '_app.analytics.fulfilment.tsx',
  '_app.analytics.returns.tsx',
  '_app.analytics.products.tsx',
  '_app.analytics.margin.tsx',
  '_app.settings._index.tsx',
  '_app.settings.users.tsx',
  '_app.settings.api-keys.tsx',
  '_app.settings.audit.tsx',
  '_app.settings.notifications.tsx',
  '_app.orders._index.tsx',
  '_app.orders.$id.tsx',
  '_app.orders.new.tsx',
  '_app.orders.import.tsx',
  '_app.inventory._index.tsx',
  'api.v1.products.$code.ts',
  'api.v1.orders.$id.payments.ts',
  'api.v1.payments.$id.$operation.ts',
  '_app.workflows._index.tsx',
  '_app.workflows.$key.tsx',
  '_app.workflows.runs.$workflowId.tsx',
  '_app.fulfilment._index.tsx',
  '_app.fulfilment.pick-lists.$id.tsx',
  '_app.fulfilment.pick-lists.print.tsx',
  'api.v1.shipments.$id.events.ts',
  'api.v1.orders.ts',
  'api.v1.orders.$id.ts',
  'api.v1.orders.$id.$command.ts',
  'api.v1.inventory.ts',
  '_app.customers._index.tsx',
  '_app.customers.$id.tsx',
  '_app.settings.exchange-rates.tsx',
  '_app.settings.store.tsx',
  '_app.workflows.tasks.tsx',
  'api.v1.workflows.tasks.$id.decision.ts',
  '_app.workflows.bindings.tsx',
  '_app.settings.warehouses.tsx',
  '_app.settings.carriers.tsx',
  '_app.settings.channels.tsx',
  '_app.purchasing._index.tsx',
  '_app.purchasing.$id.tsx',
  '_app.purchasing.suppliers.tsx',
  '_app.service._index.tsx',
  '_app.service.$id.tsx',
  'service.attachments.$id.ts',
  'api.v1.tickets.ts',
  'api.v1.tickets.$id.ts',
  'api.v1.tickets.$id.messages.ts',
  'api.v1.inbound-mail.ts',
  '_app.settings.teams.tsx',
  '_app.settings.agents.tsx',
  '_app.settings.sla.tsx',
  '_app.settings.calendars.tsx',
  '_app.settings.canned-responses.tsx',
  '_app.settings.macros.tsx',
  '_app.settings.approval-limits.tsx',
  '_app.settings.api-docs.tsx',
  '_app.settings.webhooks.tsx',
  '_app.settings.webhooks.$id.tsx',
];

/** API endpoints and the permission each needs; a forbidden role gets 403 before the body is read. */
const API: { method: 'GET' | 'POST'; path: string; permission: Permission; okStatus: number }[] = [
  { method: 'GET', path: '/api/v1/orders?pageSize=1', permission: 'orders.view', okStatus: 200 },
  { method: 'GET', path: '/api/v1/orders/1', permission: 'orders.view', okStatus: 200 },
  { method: 'POST', path: '/api/v1/orders', permission: 'orders.manage', okStatus: 422 },
  { method: 'POST', path: '/api/v1/orders/1/hold', permission: 'orders.manage', okStatus: 200 },
  { method: 'GET', path: '/api/v1/inventory?sku=X', permission: 'inventory.view', okStatus: 200 },
  { method: 'GET', path: '/api/v1/products/NO-SUCH-CODE', permission: 'orders.view', okStatus: 404 },
  { method: 'POST', path: '/api/v1/orders/1/payments', permission: 'orders.manage', okStatus: 422 },
  { method: 'POST', path: '/api/v1/payments/999999/capture', permission: 'orders.manage', okStatus: 404 },
  { method: 'POST', path: '/api/v1/shipments/NO-SUCH/events', permission: 'fulfilment.manage', okStatus: 422 },
  { method: 'GET', path: '/api/v1/tickets', permission: 'service.view', okStatus: 200 },
  { method: 'GET', path: '/api/v1/tickets/999999', permission: 'service.view', okStatus: 404 },
  { method: 'POST', path: '/api/v1/tickets', permission: 'service.manage', okStatus: 422 },
  { method: 'POST', path: '/api/v1/tickets/999999/messages', permission: 'service.manage', okStatus: 422 },
];

describe('health', () => {
  it('answers 200 with every check ok', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok', worker: 'ok' } });
  });
});

describe('roles', () => {
  it('lists every route file in the role matrix', () => {
    const files = fs.readdirSync(path.resolve('app/routes')).filter((f) => !f.includes('.test.'));
    expect(files.filter((f) => !PUBLIC_ROUTES.includes(f) && !COVERED_ROUTES.includes(f))).toEqual([]);
  });

  it('sends a signed-out visitor of any page to the sign-in form', async () => {
    const b = new Browser(app.url);
    for (const page of PAGES) {
      const res = await b.get(page.path);
      expect(res.status, page.path).toBe(302);
      expect(res.headers.get('Location')).toBe(`/login?redirectTo=${encodeURIComponent(page.path)}`);
    }
  });

  for (const role of ROLES) {
    it(`gives ${role} 200 where allowed and 403 elsewhere, on every page`, async () => {
      const b = await signedIn(role);
      const seen: Record<string, number> = {};
      const expected: Record<string, number> = {};
      for (const page of PAGES) {
        seen[page.path] = (await b.get(page.path)).status;
        expected[page.path] = can(role, page.permission)
          ? (page.okStatus ?? 200)
          : page.path.split('?')[0] === '/analytics' && (can(role, 'analytics.service') || can(role, 'analytics.fulfilment'))
            ? 302
            : 403;
      }
      expect(seen).toEqual(expected);
      // The shell offers exactly the areas the role may open.
      const html = await (await b.get(AREAS.find((a) => can(role, a.permission))!.path)).text();
      for (const area of AREAS) expect(html.includes(`data-testid="nav-${area.id}"`), `${role} nav ${area.id}`).toBe(can(role, area.permission));
    });
  }

  for (const role of ROLES) {
    it(`gives ${role} the API endpoints its role allows, 403 elsewhere`, async () => {
      const b = await signedIn(role);
      await app.db.orm.em.getConnection().execute(`update sales_order set status = 'awaiting_payment', hold_reasons = '{}' where id = 1`);
      const seen: Record<string, number> = {};
      const expected: Record<string, number> = {};
      for (const e of API) {
        const res = await fetch(app.url + e.path, {
          method: e.method,
          headers: { Cookie: b.cookieHeader, 'Content-Type': 'application/json' },
          body: e.method === 'POST' ? '{}' : undefined,
        });
        seen[`${e.method} ${e.path}`] = res.status;
        expected[`${e.method} ${e.path}`] = can(role, e.permission) ? e.okStatus : 403;
      }
      expect(seen).toEqual(expected);
    });
  }

  it('lets warehouse staff read the fulfilment and returns reports but not the sales report, and agents none of them', async () => {
    const warehouse = await signedIn('warehouse');
    expect((await warehouse.get('/analytics/fulfilment')).status).toBe(200);
    expect((await warehouse.get('/analytics/returns')).status).toBe(200);
    // The area opens on their first report instead of the sales report.
    const area = await warehouse.get('/analytics');
    expect(area.status).toBe(302);
    expect(area.headers.get('Location')).toBe('/analytics/fulfilment');
    const html = await (await warehouse.get('/analytics/fulfilment')).text();
    expect(html).toContain('href="/analytics/returns"');
    expect(html).not.toContain('href="/analytics/customers"');
    const agent = await signedIn('agent');
    expect((await agent.get('/analytics/fulfilment')).status).toBe(403);
    expect((await agent.get('/analytics/returns')).status).toBe(403);
    expect((await agent.get('/analytics')).headers.get('Location')).toBe('/analytics/service');
  });

  it('refuses a forbidden action with 403 and writes nothing', async () => {
    const b = await signedIn('agent');
    const before = await app.db.orm.em.fork().count(ApiKey, {});
    const res = await b.post('/settings/api-keys', { intent: 'create', name: 'sneaky', role: 'admin' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('data-code="forbidden"');
    expect(await app.db.orm.em.fork().count(ApiKey, {})).toBe(before);
  });
});

describe('orders list bulk actions', () => {
  it('lets warehouse staff print pick lists but not hold orders, and agents the reverse, writing nothing when refused', async () => {
    const conn = app.db.orm.em.getConnection();
    await conn.execute(`update sales_order set status = 'awaiting_payment', hold_reasons = '{}' where id = 1`);
    const lists = async () => Number((await conn.execute('select count(*) as n from pick_list'))[0].n);
    const before = await lists();
    const agent = await signedIn('agent');
    expect((await agent.post('/orders?index', { bulk: 'pick', ids: '1' })).status).toBe(403);
    const warehouse = await signedIn('warehouse');
    expect((await warehouse.post('/orders?index', { bulk: 'hold', ids: '1' })).status).toBe(403);
    expect((await conn.execute('select status from sales_order where id = 1'))[0].status).toBe('awaiting_payment');
    // Allowed, but the order is not paid: no list, and the page says why.
    const res = await warehouse.post('/orders?index', { bulk: 'pick', ids: '1' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('not paid yet');
    expect(await lists()).toBe(before);
  });
});

describe('forms and errors', () => {
  it('refuses a post without the CSRF token, and one from another site', async () => {
    const b = await signedIn('admin');
    const before = await app.db.orm.em.fork().count(ApiKey, {});
    const noToken = await b.post('/settings/api-keys', { intent: 'create', name: 'x', role: 'agent' }, { csrf: false });
    expect(noToken.status).toBe(403);
    const page = await noToken.text();
    expect(page).toContain('data-code="csrf_failed"');
    expect(page).toContain('This form has expired');
    const crossSite = await b.post('/settings/api-keys', { intent: 'create', name: 'x', role: 'agent' }, { headers: { Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await app.db.orm.em.fork().count(ApiKey, {})).toBe(before);
  });

  it('creates an API key once, audited, and reports bad input by field without writing', async () => {
    const b = await signedIn('admin');
    const bad = await b.post('/settings/api-keys', { intent: 'create', name: '', role: 'pirate' });
    expect(bad.status).toBe(422);
    const before = await app.db.orm.em.fork().count(ApiKey, {});
    expect(before).toBeGreaterThan(0);
    const ok = await b.post('/settings/api-keys', { intent: 'create', name: 'Warehouse scanner', role: 'warehouse' });
    expect(ok.status).toBe(200);
    expect(await app.db.orm.em.fork().count(ApiKey, {})).toBe(before + 1);
    expect(await app.db.orm.em.fork().count(AuditEvent, { action: 'api_key.created', actorLabel: emailFor('admin') })).toBe(1);
  });

  it('shows a wrong password as a translated message, not a 500', async () => {
    const b = new Browser(app.url);
    const res = await b.post('/login', { email: emailFor('agent'), password: 'wrong' }, { headers: { 'Accept-Language': 'zh-CN' } });
    expect(res.status).toBe(401);
  });

  it('answers unknown pages with a 404 page', async () => {
    const b = await signedIn('admin');
    expect((await b.get('/no-such-area')).status).toBe(404);
  });
});

describe('language', () => {
  it("renders the first page in the browser's language, on the server", async () => {
    const b = new Browser(app.url);
    const html = await (await b.get('/login', { 'Accept-Language': 'zh-TW,zh;q=0.9' })).text();
    expect(html).toContain('<html lang="zh-TW">');
    expect(html).toContain('訂單控制台');
  });

  it('keeps a signed-out choice in a cookie and a signed-in choice on the user, audited', async () => {
    const b = new Browser(app.url);
    await b.post('/locale', { locale: 'zh-CN', redirectTo: '/login' });
    expect(await (await b.get('/login')).text()).toContain('<html lang="zh-CN">');

    const exec = await signedIn('executive'); // seeded with zh-TW
    expect(await (await exec.get('/dashboards')).text()).toContain('儀表板');
    const res = await exec.post('/locale', { locale: 'en', redirectTo: '/dashboards' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/dashboards');
    const html = await (await exec.get('/dashboards')).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Dashboards');
    const user = await app.db.orm.em.fork().findOneOrFail(User, { email: emailFor('executive') });
    expect(user.locale).toBe('en');
    expect(await app.db.orm.em.fork().count(AuditEvent, { action: 'user.locale_changed', entityId: String(user.id) })).toBe(1);
  });

  it('refuses an unknown language with a field error', async () => {
    const b = new Browser(app.url);
    const res = await b.post('/locale', { locale: 'klingon' }, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(422);
  });
});

describe('audit page', () => {
  it('lists sign-ins and filters by action', async () => {
    const b = await signedIn('admin');
    const html = await (await b.get('/settings/audit?action=auth.login')).text();
    const table = html.slice(html.indexOf('data-testid="audit-table"'), html.indexOf('</table>'));
    expect(table).toContain('<code>auth.login</code>');
    expect(table).toContain(emailFor('admin'));
    expect(table).not.toContain('system.demo_seeded');
  });
});
