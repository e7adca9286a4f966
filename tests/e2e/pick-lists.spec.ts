import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

// Warehouse staff choose orders on the orders list and print their pick lists: lists are made per
// warehouse by its method (Newark batches), the printable page has one sheet per list with lines by
// bin and barcodes, and the chosen orders that cannot be picked are named with the reason.
test('print pick lists for chosen orders from the orders list', async ({ page, browser }) => {
  test.setTimeout(60_000);
  const tag = `E2E-PICK-${Date.now()}`;
  const boston = { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 };

  // Orders arrive through the API (an ops manager's session: warehouse staff may not take orders).
  const ops = await browser.newPage();
  await signIn(ops, 'ops_manager');
  // SKUs from further down the demo catalogue than other specs use, so their stock figures stay theirs.
  const skus = ['APP-1024', 'FOO-1025', 'HOM-1026', 'KIT-1027', 'ELE-1028', 'BEA-1029', 'OUT-1030', 'TOY-1031'];
  const inv = (await (await ops.request.get(`/api/v1/inventory?sku=${skus.join(',')}`)).json()) as {
    items: { sku: string; warehouses: { warehouse: string; atp: number }[] }[];
  };
  const stocked = inv.items.filter((i) => i.warehouses.some((w) => w.warehouse === 'EWR' && w.atp >= 3)).map((i) => i.sku);
  test.skip(stocked.length < 2, 'the demo has too little stock in Newark');
  const place = async (n: string, body: Record<string, unknown>) => {
    const res = await ops.request.post('/api/v1/orders', {
      data: {
        channel: 'web',
        externalId: `${tag}-${n}`,
        customer: { email: `${n}@pick.example`, name: `Picker ${n}` },
        shippingAddress: boston,
        currency: 'USD',
        ...body,
      },
    });
    expect(res.status()).toBe(201);
    return (await res.json()) as { id: number; number: string; status: string };
  };
  const paidA = await place('a', { lines: [{ sku: stocked[0], quantity: 1, unitPrice: 1000 }], paymentMethod: 'marketplace', paidAmount: 1000 });
  const paidB = await place('b', {
    lines: [
      { sku: stocked[1], quantity: 2, unitPrice: 1000 },
      { sku: stocked[0], quantity: 1, unitPrice: 1000 },
    ],
    paymentMethod: 'marketplace',
    paidAmount: 3000,
  });
  const unpaid = await place('c', { lines: [{ sku: stocked[0], quantity: 1, unitPrice: 1000 }], paymentMethod: 'bank_transfer' });
  const held = await place('d', { lines: [{ sku: stocked[1], quantity: 1, unitPrice: 500_000 }], paymentMethod: 'bank_transfer' });
  expect([paidA.status, paidB.status, unpaid.status, held.status]).toEqual(['paid', 'paid', 'awaiting_payment', 'on_hold']);
  await ops.close();

  // The warehouse finds them on the orders list (search by the external id) and prints.
  await signIn(page, 'warehouse');
  await page.goto(`/orders?q=${tag}`);
  await expect(page.getByTestId('order-row')).toHaveCount(4);
  // Warehouse staff may print pick lists, not hold or cancel orders.
  await expect(page.getByTestId('bulk-bar').getByRole('button')).toHaveCount(1);
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  await page.getByTestId('bulk-pick').click();
  await page.waitForURL(/\/fulfilment\/pick-lists\/print\?ids=/);

  // Every chosen paid order is on a sheet (the Standard order flow may have made a list for one first: it is printed too).
  const sheets = page.getByTestId('print-sheet');
  await expect(sheets.first()).toBeVisible();
  for (const o of [paidA, paidB]) await expect(sheets.filter({ hasText: o.number })).not.toHaveCount(0);
  await expect(sheets.first()).toContainText('EWR');
  const line = sheets.filter({ hasText: paidB.number }).first().locator(`tr[data-sku="${stocked[1]}"]`);
  await expect(line).toContainText(paidB.number);
  await expect(line.locator('.barcode svg')).toBeVisible();
  await expect(sheets.first().locator('.print-sheet-head .barcode svg')).toBeVisible();
  // Lines walk the warehouse: bins in order on each sheet.
  const bins = await sheets.first().locator('tbody tr td:nth-child(2)').allInnerTexts();
  expect(bins).toEqual([...bins].sort((x, y) => x.localeCompare(y)));

  // The two that could not be picked, with the reason.
  const refused = page.getByTestId('print-refused');
  await expect(refused.locator(`li[data-order="${unpaid.number}"]`)).toContainText('not paid yet');
  await expect(refused.locator(`li[data-order="${held.number}"]`)).toContainText('on hold');

  // On paper: only the sheets, one per page.
  await page.emulateMedia({ media: 'print' });
  await expect(refused).toBeHidden();
  await expect(page.locator('.topbar')).toBeHidden();
  expect(await sheets.first().evaluate((el) => getComputedStyle(el).breakAfter)).toBe('page');
  await page.emulateMedia({ media: 'screen' });

  // The order's detail shows its pick list.
  await page.goto(`/orders/${paidB.id}`);
  await expect(page.getByTestId('order-pick-lists').locator('tr[data-warehouse="EWR"]')).toHaveCount(1);
  await expect(page.locator('.page-title .badge')).toHaveAttribute('data-status', 'picking');

  // Asked again with only orders that cannot be picked: nothing is made, and the reasons show on the list.
  await page.goto(`/orders?q=${tag}-c`);
  await page.getByRole('checkbox', { name: unpaid.number }).check();
  await page.getByTestId('bulk-pick').click();
  await expect(page.getByTestId('bulk-result')).toContainText('No pick lists were made');
  await expect(page.getByTestId('pick-refusals')).toContainText(unpaid.number);
});
