import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import Papa from 'papaparse';
import { signIn } from './fixtures.ts';

test('the executive reads products & stock in 繁體中文, exports it, and opens a product’s orders and stock', async ({ page }) => {
  await signIn(page, 'executive');
  await page.goto('/analytics');
  await page.getByTestId('report-tabs').getByRole('link', { name: '商品與庫存' }).click();
  await expect(page).toHaveURL(/\/analytics\/products$/);
  await expect(page.getByRole('heading', { name: '商品與庫存' })).toBeVisible();
  const chart = page.getByTestId('products-chart');
  await expect(chart.locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(page.getByTestId('kpi-revenue')).toContainText('US$');
  await expect(page.getByTestId('definitions')).toContainText('周轉率');

  // The CSV holds every product's figures: their revenue adds up to the report's.
  const total = Number(await page.getByTestId('kpi-revenue').locator('[data-value]').getAttribute('data-value'));
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const rows = Papa.parse<Record<string, string>>(fs.readFileSync((await (await download).path())!, 'utf8').replace(/^\ufeff/, ''), {
    header: true,
    skipEmptyLines: true,
  }).data;
  const column = Object.keys(rows[0]).find((k) => k.startsWith('收入'))!;
  expect(Math.round(rows.reduce((n, r) => n + Number(r[column]) * 100, 0))).toBe(total);

  // A product's stock opens it in inventory; its SKU opens the orders with it in the range.
  const first = page.getByTestId('product-row').first();
  const sku = (await first.getAttribute('data-sku'))!;
  await first.getByTestId('product-inventory').click();
  await expect(page).toHaveURL(new RegExp(`/inventory\\?q=${sku}`));
  await page.goBack();
  await page.getByTestId('product-row').first().getByTestId('product-orders').click();
  await expect(page).toHaveURL(new RegExp(`/orders\\?sku=${sku}&from=`));
  await expect(page.getByTestId('filter-sku')).toHaveValue(sku);
  await expect(page.getByTestId('order-row').first()).toBeVisible();
});

test('the margin report explains its costs and opens the order with the lowest margin', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/analytics/margin');
  await expect(page.getByTestId('kpi-margin')).toContainText('$');
  await expect(page.getByTestId('margin-chart').locator('.recharts-bar-rectangle path').first()).toBeVisible();
  await expect(page.getByTestId('margin-how')).toContainText('Goods cost');
  await expect(page.getByTestId('channel-row').first()).toBeVisible();
  const worst = page.getByTestId('worst-order').first();
  const id = await worst.getAttribute('data-order');
  await worst.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/orders/${id}$`));
});

test('customer cohorts: retention by month and the top customers, each opening their page', async ({ page }) => {
  await signIn(page, 'admin');
  await page.goto('/analytics/customers');
  await expect(page.getByTestId('retention-table')).toBeVisible();
  await expect(page.getByTestId('cohort-row').first()).toBeVisible();
  await expect(page.getByTestId('month-row').first()).toBeVisible();
  const top = page.getByTestId('top-customer').first();
  const id = await top.getAttribute('data-customer');
  await top.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/customers/${id}$`));
});

test('agents and warehouse staff are refused the products, margin and cohort reports', async ({ browser }) => {
  for (const role of ['agent', 'warehouse']) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, role);
    for (const path of ['/analytics/products', '/analytics/margin', '/analytics/customers'])
      expect((await page.goto(path))!.status(), `${role} ${path}`).toBe(403);
    await context.close();
  }
});
