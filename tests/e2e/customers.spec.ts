import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('an agent finds a customer by email, reads the 360 view and tags them', async ({ page }) => {
  await signIn(page, 'agent');
  // A customer with one order of 120.00 USD, placed through the API with the agent's session.
  const email = `e2e-360-${Date.now()}@example.com`;
  const created = await page.request.post('/api/v1/orders', {
    data: {
      channel: 'web',
      externalId: `E2E-CUST-${Date.now()}`,
      customer: { email, name: 'Casey Customer' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'APP-1000', quantity: 1, unitPrice: 12_000 }],
      paymentMethod: 'test-card',
    },
  });
  expect(created.status()).toBe(201);
  const { number } = (await created.json()) as { number: string };

  await page.getByTestId('nav-customers').click();
  await expect(page).toHaveURL(/\/customers$/);
  await page.getByTestId('customer-search').fill(email);
  await page.getByTestId('customer-search').press('Enter');
  const rows = page.getByTestId('customer-row');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(email);
  await rows.first().getByRole('link', { name: 'Casey Customer' }).click();

  await expect(page).toHaveURL(/\/customers\/\d+$/);
  await expect(page.getByTestId('customer-email')).toHaveText(email);
  await expect(page.getByTestId('customer-ltv')).toContainText('120.00');
  await expect(page.getByTestId('customer-orders-count')).toHaveText('1');
  const history = page.getByTestId('customer-orders');
  await expect(history).toContainText(number);
  await expect(history.getByRole('link', { name: number })).toHaveAttribute('href', /\/orders\/\d+$/);

  await page.getByTestId('tag-input').fill('Wholesale, e2e-vip');
  await page.getByTestId('save-tags').click();
  await expect(page.getByTestId('tags-saved')).toBeVisible();
  await expect(page.getByTestId('customer-tags').locator('[data-tag="e2e-vip"]')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('customer-tags').locator('li')).toHaveText(['wholesale', 'e2e-vip']);

  // A bad tag is refused with a message, and the saved tags stay.
  await page.getByTestId('tag-input').fill('not a tag!');
  await page.getByTestId('save-tags').click();
  await expect(page.getByTestId('tag-form').getByRole('alert')).toContainText('not a tag!');
  await expect(page.getByTestId('customer-tags').locator('li')).toHaveText(['wholesale', 'e2e-vip']);
});

test('an executive has no Customers entry and may not open the page', async ({ page }) => {
  await signIn(page, 'executive');
  await expect(page.getByTestId('nav-orders')).toBeVisible();
  await expect(page.getByTestId('nav-customers')).toHaveCount(0);
  const res = await page.goto('/customers');
  expect(res?.status()).toBe(403);
});
