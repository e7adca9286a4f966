import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import Papa from 'papaparse';
import { credentials, signIn } from './fixtures.ts';

/** An order through the API, as a channel would send it (USD, placed now unless said otherwise). */
async function postOrder(request: import('@playwright/test').APIRequestContext, externalId: string, extra: Record<string, unknown> = {}) {
  const stock = (await (
    await request.get('/api/v1/inventory?sku=APP-1000,FOO-1001,APP-1002', { headers: { authorization: `Bearer ${credentials().apiKey}` } })
  ).json()) as {
    items: { sku: string; atp: number }[];
  };
  const stocked = stock.items.find((i) => i.atp > 2)!;
  const res = await request.post('/api/v1/orders', {
    headers: { authorization: `Bearer ${credentials().apiKey}`, 'content-type': 'application/json' },
    data: {
      channel: 'web',
      externalId,
      customer: { email: `${externalId.toLowerCase()}@example.com`, name: 'Dash Board' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: stocked.sku, quantity: 1, unitPrice: 12_345 }],
      paymentMethod: 'manual',
      ...extra,
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as { id: number; number: string };
}

test('the executive watches today move live in 繁體中文, opens the late orders, and reads a report that drills down and exports', async ({ page, request }) => {
  await signIn(page, 'executive');
  await page.goto('/dashboards');
  await expect(page.getByRole('heading', { name: '儀表板' })).toBeVisible();
  const revenue = page.getByTestId('revenue-today');
  await expect(revenue).toContainText('US$');
  const before = await revenue.textContent();
  // The page must not reload: the figure moves over socket.io.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  // The figures are pushed over the socket: the page does not ask for its data again to show them.
  const refreshes: URL[] = [];
  page.on('request', (r) => {
    if (r.url().includes('.data')) refreshes.push(new URL(r.url()));
  });

  const order = await postOrder(request, `DASH-${Date.now()}`);
  await expect(revenue).not.toHaveText(before!, { timeout: 5_000 });
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  expect(refreshes).toEqual([]);

  // A late order (promised an hour ago, not shipped): the late tile counts it and opens exactly those orders.
  const lateTile = page.getByTestId('tile-late');
  const lateNow = async () => Number((await lateTile.locator('.tile-value').textContent())!.replace(/\D/g, ''));
  const lateBefore = await lateNow();
  const late = await postOrder(request, `LATE-${Date.now()}`, { promisedBy: new Date(Date.now() - 3_600_000).toISOString() });
  await expect.poll(lateNow, { timeout: 5_000 }).toBe(lateBefore + 1);
  const lateCount = lateBefore + 1;
  await lateTile.click();
  await expect(page).toHaveURL(/\/orders\?late=1$/);
  await expect(page.getByTestId('dashboard-filter')).toContainText('逾期');
  await expect(page.getByTestId('order-row')).toHaveCount(Math.min(lateCount, 50));
  await expect(page.getByTestId('orders-table')).toContainText(late.number);
  await expect(page.getByTestId('orders-table')).not.toContainText(order.number);

  // The sales report of the last 7 days against the 7 before.
  await page.goto('/analytics');
  await page.getByRole('link', { name: '最近 7 天' }).click();
  await expect(page).toHaveURL(/from=.*&to=/);
  const chart = page.getByTestId('sales-chart');
  await expect(chart.locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(chart.locator('.recharts-line')).toHaveCount(1);
  await expect(chart).toContainText('上一期');

  // The CSV holds the chart's figures: its revenue adds up to the report's total.
  const total = Number(await page.getByTestId('total-revenue').locator('[data-minor]').getAttribute('data-minor'));
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const file = await (await download).path();
  const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data;
  expect(rows).toHaveLength(7);
  const column = Object.keys(rows[0]).find((k) => k.startsWith('營業額'))!;
  expect(Math.round(rows.reduce((n, r) => n + Number(r[column]) * 100, 0))).toBe(total);

  // Drill down from today's bucket: the orders list of that day, with the order placed above in it.
  await page.getByTestId('drill').last().click();
  await expect(page).toHaveURL(/\/orders\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}/);
  await expect(page.getByTestId('orders-table')).toContainText(order.number);

  // The executive arranges their own dashboard: hides a tile, then goes back to the default.
  await page.goto('/dashboards');
  await page.getByTestId('arrange').click();
  const panel = page.getByTestId('arrange-panel');
  await expect(panel).toBeVisible();
  await panel.getByTestId('arrange-aov').getByRole('button', { name: '隱藏' }).click();
  await expect(page.getByTestId('arrange-aov')).toHaveClass(/muted/);
  // …and makes the revenue tile large: it takes the whole row.
  await panel.getByRole('group', { name: '今日營業額的大小' }).getByRole('button', { name: '大' }).click();
  await expect(panel.getByRole('group', { name: '今日營業額的大小' }).getByRole('button', { name: '大' })).toHaveAttribute('aria-pressed', 'true');
  await page.goto('/dashboards');
  await expect(page.getByTestId('tile-aov')).toHaveCount(0);
  const [revenueBox, grid] = await Promise.all([page.getByTestId('tile-revenue').boundingBox(), page.locator('.tiles').boundingBox()]);
  expect(revenueBox!.width).toBeCloseTo(grid!.width, 0);
  await page.goto('/dashboards?arrange=1');
  await page.getByRole('button', { name: '恢復為我角色的預設版面' }).click();
  // The reset has landed once the panel shows the tile again (no page load to wait for: the form posts in place).
  await expect(page.getByTestId('arrange-aov')).not.toHaveClass(/muted/);
  await page.goto('/dashboards');
  await expect(page.getByTestId('tile-aov')).toBeVisible();
  expect((await page.getByTestId('tile-revenue').boundingBox())!.width).toBeLessThan(grid!.width / 2);
});

test('a dashboard that lost its connection catches up when it is back, and a warehouse page is not sent the day’s sales', async ({
  browser,
  request,
  baseURL,
}) => {
  // Every WebSocket the page opens, so the test can drop them as a network failure would, and the answers to the
  // page's `dashboard:watch` (socket.io acknowledgements, `43<id>[{"current": …}]`): the figures it catches up with.
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(() => {
    const w = window as unknown as { sockets: WebSocket[]; caughtUp: number[] };
    w.sockets = [];
    w.caughtUp = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.sockets.push(this);
        this.addEventListener('message', (m: MessageEvent) => {
          const ack = typeof m.data === 'string' ? /^43\d+(\[.*\])$/s.exec(m.data) : null;
          const current = ack ? (JSON.parse(ack[1]) as { current?: { today?: { orders: number } } }[])[0]?.current : undefined;
          if (current?.today) w.caughtUp.push(current.today.orders);
        });
      }
    };
  });
  const page = await context.newPage();
  await signIn(page, 'executive');
  await page.goto('/dashboards');
  const status = page.getByTestId('live-status');
  await expect(status).toHaveAttribute('data-status', 'online');
  const ordersNow = async () => Number((await page.getByTestId('orders-today').textContent())!.replace(/\D/g, ''));
  const caughtUp = () => page.evaluate(() => (window as unknown as { caughtUp: number[] }).caughtUp);
  await expect.poll(async () => (await caughtUp()).length).toBe(1);

  // Offline: the socket drops and cannot come back; an order is placed meanwhile and nothing reaches the page.
  // (Other tests place orders too: figures are compared as "at least".)
  await context.setOffline(true);
  await page.evaluate(() => (window as unknown as { sockets: WebSocket[] }).sockets.forEach((s) => s.close()));
  await expect(status).toHaveAttribute('data-status', 'offline');
  const before = await ordersNow();
  await postOrder(request, `DASH-OFF-${Date.now()}`);
  await page.waitForTimeout(2_000);
  expect(await ordersNow()).toBe(before);
  // Back online: the socket reconnects and watches again; the answer carries the figures of that moment, the order
  // placed while offline included, and the tile shows them.
  await context.setOffline(false);
  await expect(status).toHaveAttribute('data-status', 'online', { timeout: 15_000 });
  await expect.poll(async () => (await caughtUp()).length, { timeout: 10_000 }).toBe(2);
  const answer = (await caughtUp())[1];
  expect(answer).toBeGreaterThanOrEqual(before + 1);
  await expect.poll(ordersNow, { timeout: 5_000 }).toBeGreaterThanOrEqual(answer);
  await context.close();

  // The warehouse's dashboard: its own tiles, and no sales figures in what the page was sent.
  const warehouse = await browser.newPage({ baseURL });
  await signIn(warehouse, 'warehouse');
  const loaded = await warehouse.request.get('/dashboards.data?_routes=routes/_app.dashboards');
  expect(loaded.status()).toBe(200);
  const body = await loaded.text();
  expect(body).toContain('awaitingShipment');
  for (const sales of ['yesterday', 'lastWeek', 'shipSeconds']) expect(body).not.toContain(sales);
  await warehouse.goto('/dashboards');
  await expect(warehouse.getByTestId('tile-late')).toBeVisible();
  await expect(warehouse.getByTestId('tile-revenue')).toHaveCount(0);
  await warehouse.close();
});
