import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('a store clerk scans barcodes into a manual order and takes cash', async ({ page, request }) => {
  await signIn(page, 'agent');
  // Two real products: one scanned by barcode twice, one typed by SKU.
  const api = async (code: string) =>
    (await (await page.request.get(`/api/v1/products/${code}?currency=USD`)).json()) as { sku: string; barcode: string; unitPrice: number };
  void request;
  await page.goto('/orders/new');
  const first = await api('APP-1000');
  const second = await api('FOO-1001');
  const scanner = page.getByTestId('scanner');
  await scanner.fill(first.barcode);
  await scanner.press('Enter');
  await expect(page.getByTestId('manual-line')).toHaveCount(1);
  await scanner.fill(first.barcode);
  await scanner.press('Enter');
  await expect(page.locator(`[data-sku="${first.sku}"] input.qty`)).toHaveValue('2');
  await scanner.fill(second.sku);
  await scanner.press('Enter');
  await expect(page.getByTestId('manual-line')).toHaveCount(2);
  await scanner.fill('0000000000000');
  await scanner.press('Enter');
  await expect(page.getByRole('alert')).toContainText('0000000000000');
  await expect(page.getByTestId('manual-line')).toHaveCount(2);

  await page.getByTestId('customer-email').fill('walkin@example.com');
  await page.getByTestId('customer-name').fill('Walk-in Customer');
  await page.getByTestId('payment-select').selectOption('cash');
  await page.getByTestId('place-order').click();

  await expect(page).toHaveURL(/\/orders\/\d+$/);
  // Paid at the counter; the Standard order flow may already have moved it on to the warehouse.
  await expect(page.locator('.page-title .badge')).toHaveAttribute('data-status', /^(paid|allocated|picking)$/);
  const lines = page.getByTestId('order-lines');
  await expect(lines).toContainText(first.sku);
  await expect(lines).toContainText(second.sku);
  await expect(page.getByTestId('order-reservations')).toContainText(first.sku);
  // The agent works in 简体中文 (the demo user's saved language).
  await expect(page.getByTestId('order-timeline')).toContainText('收到订单');
});

test('a template adds a saved bundle in one go', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/orders/new');
  await page.getByTestId('template-select').selectOption({ label: 'Gift bundle' });
  await expect(page.getByTestId('manual-line')).toHaveCount(3);
});

test('the holds queue releases an order in bulk, and the detail shows the timeline', async ({ page }) => {
  await signIn(page, 'ops_manager');
  // A high-value order arrives and waits for review.
  const created = await page.request.post('/api/v1/orders', {
    data: {
      channel: 'web',
      externalId: `E2E-HOLD-${Date.now()}`,
      customer: { email: 'big@example.com', name: 'Big Spender' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'APP-1000', quantity: 1, unitPrice: 500_000 }],
      paymentMethod: 'test-card',
    },
  });
  expect(created.status()).toBe(201);
  const { number } = (await created.json()) as { number: string };
  await page.goto('/orders');
  await page.getByTestId('holds-queue').click();
  await expect(page).toHaveURL(/status=on_hold/);
  const row = page.getByTestId('order-row').filter({ hasText: number });
  await expect(row.getByText('High value')).toBeVisible();
  await row.locator('input[type=checkbox]').check();
  await page.getByRole('button', { name: 'Release' }).click();
  await expect(page.getByTestId('bulk-result')).toContainText('1 order done');
  await page.goto(`/orders?q=${number}`);
  await page.getByRole('link', { name: number }).click();
  await expect(page.locator('.page-title .badge')).toHaveAttribute('data-status', 'awaiting_payment');
  await expect(page.getByTestId('order-timeline')).toContainText('Status changed');
});

test('warehouse staff record a receipt and see ATP move; the list is translated', async ({ page }) => {
  await signIn(page, { key: 'warehouse-linguist' });
  await page.goto('/inventory?q=HOM-1002&warehouse=EWR');
  const row = page.getByTestId('inventory-table').locator('tbody tr').first();
  const atpBefore = Number(
    await row
      .locator('td')
      .nth(5)
      .innerText()
      .then((s) => s.replace(/\D/g, '')),
  );
  await page.getByText('Adjust stock').click();
  const form = page.getByTestId('adjust-form');
  await form.locator('input[name=sku]').fill('HOM-1002');
  await form.locator('select[name=warehouse]').selectOption('EWR');
  await form.locator('select[name=kind]').selectOption('receipt');
  await form.locator('input[name=quantity]').fill('12');
  await form.locator('input[name=reason]').fill('PO 77 received');
  await form.getByRole('button', { name: 'Record adjustment' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'HOM-1002 at EWR' })).toBeVisible();
  await expect(row.locator('td').nth(5)).toContainText(String(atpBefore + 12));
  await page.getByTestId('locale-switcher').selectOption('zh-CN');
  await expect(page.getByTestId('inventory-table').locator('th').nth(5)).toHaveText('可承诺');
});

test('cancelling orders in bulk asks first, and the result shows as a toast', async ({ page }) => {
  await signIn(page, 'ops_manager');
  const created = await page.request.post('/api/v1/orders', {
    data: {
      channel: 'web',
      externalId: `E2E-CANCEL-${Date.now()}`,
      customer: { email: 'undecided@example.com', name: 'Undecided Buyer' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'APP-1000', quantity: 1, unitPrice: 1_000 }],
      paymentMethod: 'manual',
    },
  });
  expect(created.status()).toBe(201);
  const { number } = (await created.json()) as { number: string };
  await page.goto(`/orders?q=${number}`);
  const row = page.getByTestId('order-row').filter({ hasText: number });
  await row.locator('input[type=checkbox]').check();
  // "Keep" sends nothing.
  await page.getByTestId('bulk-cancel').click();
  await expect(page.getByTestId('confirm-dialog')).toContainText('Cancel this order?');
  await page.getByTestId('confirm-no').click();
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await expect(page.getByTestId('bulk-result')).toHaveCount(0);
  // Confirmed, it is cancelled.
  await row.locator('input[type=checkbox]').check();
  await page.getByTestId('bulk-cancel').click();
  await page.getByTestId('confirm-yes').click();
  await expect(page.getByTestId('bulk-result')).toContainText('1 order done');
  await expect(page.getByTestId('order-row').filter({ hasText: number }).locator('[data-status]')).toHaveAttribute('data-status', 'cancelled');
});
