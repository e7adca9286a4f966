import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

// The order ships from the Taoyuan warehouse (a Taipei address), so other specs' orders in Newark stay out of its pick list.
test('a paid order is picked by scanning, packed, shipped and delivered; the customer then asks to exchange it', async ({ page, browser }) => {
  test.setTimeout(60_000);
  await signIn(page, 'warehouse');
  const skus = ['APP-1000', 'FOO-1001', 'HOM-1002', 'KIT-1003', 'ELE-1004', 'BEA-1005', 'OUT-1006', 'TOY-1007'];
  const inv = (await (await page.request.get(`/api/v1/inventory?sku=${skus.join(',')}`)).json()) as {
    items: { sku: string; warehouses: { warehouse: string; atp: number }[] }[];
  };
  const sku = inv.items.find((i) => i.warehouses.some((w) => w.warehouse === 'TPE' && w.atp >= 1))?.sku;
  test.skip(!sku, 'no demo SKU has stock in TPE');

  // The order arrives already paid (a marketplace took the money). Warehouse staff may not take orders, so an ops manager's browser sends it.
  const ops = await browser.newPage();
  await signIn(ops, 'ops_manager');
  const res = await ops.request.post('/api/v1/orders', {
    data: {
      channel: 'momo',
      externalId: `E2E-SHIP-${Date.now()}`,
      customer: { email: 'taipei@example.com', name: '林小姐', locale: 'zh-TW' },
      shippingAddress: { line1: '信義路五段7號', city: '臺北市', postalCode: '110', country: 'TW', lat: 25.0336, lng: 121.5648 },
      currency: 'TWD',
      lines: [{ sku, quantity: 1, unitPrice: 59_900 }],
      paymentMethod: 'momo_pay',
      paidAmount: 59_900,
    },
  });
  expect(res.status()).toBe(201);
  const order = (await res.json()) as { id: number; number: string; status: string; trackingToken: string; reservations: { warehouse: string }[] };
  expect(order).toMatchObject({ status: 'paid', reservations: [{ warehouse: 'TPE' }] });
  await ops.close();

  // The Standard order flow sends a paid order to the warehouse by itself; give it a moment, then
  // create the pick list by hand if it has not (the outcome for the picker is the same).
  const hasList = async () => ((await (await page.request.get(`/api/v1/orders/${order.id}`)).json()) as { status: string }).status === 'picking';
  for (let i = 0; i < 20 && !(await hasList()); i++) await page.waitForTimeout(250);
  await page.goto('/fulfilment');
  if (!(await hasList())) {
    const form = page.getByTestId('pick-list-form');
    await form.locator('select[name=warehouse]').selectOption('TPE');
    await form.locator('select[name=method]').selectOption('single');
    await form.getByRole('button').click();
    await expect(page.getByTestId('fulfilment-result')).toContainText('pick list');
  }

  // Open the list holding our order and scan the item.
  await page.goto('/fulfilment');
  const lists = page.getByTestId('pick-lists').locator('tbody tr').filter({ hasText: 'TPE' });
  const count = await lists.count();
  let found = false;
  for (let i = 0; i < count && !found; i++) {
    await page.goto('/fulfilment');
    await page.getByTestId('pick-lists').locator('tbody tr').filter({ hasText: 'TPE' }).nth(i).getByRole('link').click();
    await page.waitForURL(/\/fulfilment\/pick-lists\/\d+/);
    await expect(page.getByTestId('pick-lines')).toBeVisible();
    found = (await page.getByTestId('pick-lines').getByText(order.number).count()) > 0;
  }
  expect(found).toBe(true);
  await page.getByTestId('pick-scanner').fill('NOT-ON-LIST');
  await page.getByTestId('pick-scanner').press('Enter');
  await expect(page.getByRole('alert')).toContainText('not on this pick list');
  await page.getByTestId('pick-scanner').fill(sku!);
  await page.getByTestId('pick-scanner').press('Enter');
  await expect(page.getByTestId('pick-progress')).toHaveAttribute('value', '1');

  await page.goto('/fulfilment');
  const ready = page.getByTestId('ready-orders').locator('tr').filter({ hasText: order.number });
  await ready.getByRole('button', { name: 'Mark packed' }).click();
  await expect(page.getByTestId('fulfilment-result')).toContainText('packed');
  // Once packed, the Standard order flow ships by itself; without a flow, the Ship button does it.
  const shipped = async () =>
    ['shipped', 'delivered'].includes(((await (await page.request.get(`/api/v1/orders/${order.id}`)).json()) as { status: string }).status);
  for (let i = 0; i < 20 && !(await shipped()); i++) await page.waitForTimeout(250);
  if (!(await shipped())) {
    await page.goto('/fulfilment');
    await page.getByTestId('ready-orders').locator('tr').filter({ hasText: order.number }).getByRole('button', { name: 'Ship' }).click();
    await expect(page.getByTestId('fulfilment-result')).toContainText(`${order.number} shipped`);
  }
  await page.goto('/fulfilment');

  const shipment = page.getByTestId('shipments').locator('tr').filter({ hasText: order.number });
  await expect(shipment).toContainText('SF Express');
  await shipment.locator('select[name=status]').selectOption('delivered');
  await shipment.getByRole('button', { name: 'Record' }).click();
  await expect(page.getByTestId('fulfilment-result')).toContainText('Tracking event recorded');

  // The customer, signed out, follows the link from their email.
  const customer = await browser.newPage({ locale: 'zh-TW', extraHTTPHeaders: { 'Accept-Language': 'zh-TW' } });
  await customer.goto(`/track/${order.trackingToken}`);
  await expect(customer.getByTestId('track-status')).toHaveText('已送達');
  await expect(customer.locator('[data-milestone=delivered]')).toHaveClass(/reached/);
  const form = customer.getByTestId('return-form');
  await form.locator('input[name=quantity]').fill('1');
  await form.locator('select[name=reason]').selectOption('size_or_fit');
  // An exchange for another product: the replacement field shows only then, with suggestions and the same item by default.
  const replacement = form.locator('input[name=replacementSku]');
  await expect(replacement).toBeHidden();
  await form.locator('select[name=resolution]').selectOption('exchange');
  await expect(replacement).toBeVisible();
  await expect(replacement).toHaveAttribute('placeholder', `同一商品（${sku}）`);
  const suggestions = await form.locator('datalist option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(suggestions.length).toBeGreaterThan(0);
  // The server checks what was typed, and says so in the customer's language.
  await replacement.fill('NO-SUCH-SKU');
  await form.getByRole('button').click();
  await expect(form.getByRole('alert')).toHaveText('未知的 SKU NO-SUCH-SKU。');
  await expect(customer.getByTestId('return-created')).toHaveCount(0);
  await replacement.fill(suggestions[0]);
  await form.getByRole('button').click();
  await expect(customer.getByTestId('return-created')).toContainText('RMA-');
  await expect(customer.getByTestId('rma')).toContainText('已申請');
  expect((await customer.goto('/track/00000000000000000000000000000000'))?.status()).toBe(404);
  await customer.close();
});
