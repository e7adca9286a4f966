import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import Papa from 'papaparse';
import { signIn } from './fixtures.ts';

test('warehouse staff read the fulfilment report, open the orders behind a bar, export it, and read the returns report, not the sales one', async ({
  page,
}) => {
  await signIn(page, 'warehouse');
  await page.goto('/analytics/fulfilment');
  const tabs = page.getByTestId('report-tabs');
  await expect(tabs.getByRole('link', { name: 'Fulfilment' })).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Returns' })).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Sales' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Last 30 days' }).click();
  await expect(page).toHaveURL(/from=.*&to=/);
  // The demo's orders shipped and arrived: the medians are figures, the histogram has bars.
  await expect(page.getByTestId('kpi-p50-ship').locator('.tile-value')).not.toHaveText('—');
  await expect(page.getByTestId('histogram-chart').locator('.recharts-bar-rectangle path').first()).toBeVisible();

  // The CSV has a row per day.
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const rows = Papa.parse<Record<string, string>>(fs.readFileSync(await (await download).path(), 'utf8').replace(/^\ufeff/, ''), {
    header: true,
    skipEmptyLines: true,
  }).data;
  expect(rows).toHaveLength(30);

  // A count in the histogram opens exactly those orders, the filter said in words.
  const cell = page.getByTestId('histogram-table').locator('tbody a').first();
  const count = Number((await cell.textContent())!.replace(/\D/g, ''));
  await cell.click();
  await expect(page).toHaveURL(/\/orders\?.*took=ship/);
  await expect(page.getByTestId('report-filter')).toContainText('Received → shipped took');
  await expect(page.getByTestId('order-row')).toHaveCount(Math.min(count, 50));

  await page.goto('/analytics/returns');
  await expect(page.getByTestId('kpi-return-rate')).toBeVisible();
  await expect(page.getByTestId('by-reason')).toBeVisible();

  // The area opens on their first report, never on sales.
  await page.goto('/analytics');
  await expect(page).toHaveURL(/\/analytics\/fulfilment$/);
  await expect(page.getByTestId('report-tabs').locator('a[href="/analytics"]')).toHaveCount(0);
});

test('the executive reads the payment methods on the sales report and opens the orders paid by one', async ({ page }) => {
  await signIn(page, 'executive');
  await page.goto('/analytics');
  const methods = page.getByTestId('payment-methods');
  await expect(methods.locator('tbody tr').first()).toBeVisible();
  await methods.locator('tbody a').first().click();
  await expect(page).toHaveURL(/\/orders\?.*paymentMethod=/);
  await expect(page.getByTestId('report-filter')).toBeVisible();
});
