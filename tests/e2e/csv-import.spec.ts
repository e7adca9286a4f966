import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './fixtures.ts';

const HEADER =
  'channel,externalId,customerEmail,customerName,customerPhone,line1,city,postalCode,country,lat,lng,currency,sku,quantity,unitPrice,paymentMethod,deliveryMethod,shipping,tax';

/** One order line in Boston, paid by test card; `sku`, `quantity` and `price` vary. */
const row = (externalId: string, sku: string, quantity: string, price: string, email = `${externalId.toLowerCase()}@example.com`) =>
  [
    'web',
    externalId,
    email,
    '"Lovelace, Ada"',
    '',
    '1 Beacon St',
    'Boston',
    '02108',
    'US',
    '42.3576',
    '-71.0627',
    'USD',
    sku,
    quantity,
    price,
    'test-card',
    'standard',
    '5.00',
    '',
  ].join(',');

async function importFile(page: Page, name: string, csv: string) {
  await page.goto('/orders/import');
  await page.getByTestId('csv-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await expect(page.getByTestId('csv-ready')).toContainText('Read 5 rows making 4 orders.');
  await page.getByTestId('csv-start').click();
  // Three orders pass the checks in the browser and go to the server, four at a time.
  await expect(page.getByTestId('csv-progress-label')).toHaveText('3 of 3 orders');
  await expect(page.getByTestId('csv-progress')).toHaveAttribute('value', '3');
  await expect(page.getByTestId('csv-summary')).toBeVisible();
}

const ordersFound = async (page: Page, q: string) => {
  await page.goto(`/orders?q=${encodeURIComponent(q)}`);
  await expect(page.getByTestId('orders-table')).toBeVisible();
  return page.getByTestId('order-row').count();
};

test('imports the good orders of a CSV file whole, reports each bad row, and never twice', async ({ page }) => {
  await signIn(page, 'ops_manager');
  const stamp = Date.now().toString(36).toUpperCase();
  const id = (s: string) => `CSVE2E-${stamp}-${s}`;
  const unknownSku = `NOPE-${stamp}`;
  const csv =
    [
      HEADER,
      row(id('GOOD1'), 'APP-1000', '1', '19.99'), // line 2
      row(id('GOOD2'), 'FOO-1001', '2', '7.50'), // line 3
      row(id('BADSKU'), 'APP-1000', '1', '19.99'), // line 4: fine, but its order fails on line 5
      row(id('BADSKU'), unknownSku, '1', '3.00'), // line 5: unknown SKU
      row(id('BADQTY'), 'FOO-1001', 'abc', '7.50'), // line 6: not a number, never sent
    ].join('\r\n') + '\r\n';
  const name = `orders-${stamp}.csv`;

  // The list offers the import next to "New order".
  await page.goto('/orders');
  await page.getByTestId('import-orders').click();
  await expect(page).toHaveURL(/\/orders\/import$/);
  await expect(page.getByTestId('csv-format')).toContainText('unitPrice');

  await importFile(page, name, csv);
  await expect(page.getByTestId('summary-imported')).toHaveText('2');
  await expect(page.getByTestId('summary-duplicates')).toHaveText('0');
  await expect(page.getByTestId('summary-failed')).toHaveText('2');

  const report = page.getByTestId('csv-failed-row');
  await expect(report).toHaveCount(3);
  await expect(page.locator('[data-testid=csv-failed-row][data-line="5"]')).toContainText(`sku: Unknown SKU ${unknownSku}.`);
  await expect(page.locator('[data-testid=csv-failed-row][data-line="6"]')).toContainText('quantity: Enter a whole number (got abc).');
  await expect(page.locator('[data-testid=csv-failed-row][data-line="4"]')).toContainText('line 5');
  await expect(page.getByTestId('csv-download-failed')).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByTestId('csv-download-failed').click();
  const failedCsv = fs.readFileSync(await (await download).path(), 'utf8');
  expect(failedCsv).toContain(`${HEADER},reason`);
  expect(failedCsv).toContain(unknownSku);
  expect(failedCsv).not.toContain(id('GOOD1'));

  // The two good orders exist; the order with the unknown SKU was not half imported.
  expect(await ordersFound(page, id('GOOD1'))).toBe(1);
  expect(await ordersFound(page, id('GOOD2'))).toBe(1);
  expect(await ordersFound(page, id('BADSKU'))).toBe(0);

  // The same file again: the good orders are reported as already imported, nothing is duplicated.
  await importFile(page, name, csv);
  await expect(page.getByTestId('summary-imported')).toHaveText('0');
  await expect(page.getByTestId('summary-duplicates')).toHaveText('2');
  await expect(page.getByTestId('summary-failed')).toHaveText('2');
  await expect(page.getByTestId('csv-created-row').filter({ hasText: id('GOOD1') })).toContainText('Already imported');
  expect(await ordersFound(page, id('GOOD1'))).toBe(1);
  expect(await ordersFound(page, id('GOOD2'))).toBe(1);
});
