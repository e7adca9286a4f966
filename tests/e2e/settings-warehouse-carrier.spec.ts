import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

// An admin sets a warehouse's default picking method and sees the fulfilment screen start from it,
// then adds a carrier rule, edits it, and sees the rule tester's answer change. The warehouse and the
// carrier are new ones (a carrier only for Iceland, where no other spec ships), so the demo's
// warehouses and carriers stay as the other specs expect them.
test("an admin edits a warehouse's picking method and a carrier rule, and sees the result", async ({ page }) => {
  test.setTimeout(60_000);
  const suffix = String(Date.now()).slice(-5);
  const code = `E2E${suffix}`;
  await signIn(page, 'admin');

  // Settings → Warehouses → Add warehouse.
  await page.goto('/settings');
  await page.getByTestId('settings-warehouses').click();
  await expect(page.getByTestId('warehouses-table')).toContainText('EWR');
  await page.getByTestId('warehouse-add').click();
  const form = page.getByTestId('warehouse-form');
  await form.locator('input[name=code]').fill(code);
  await form.locator('input[name=name]').fill('Boston test DC');
  await form.locator('input[name=line1]').fill('1 Harbor St');
  await form.locator('input[name=city]').fill('Boston');
  await form.locator('input[name=country]').fill('US');
  await form.locator('input[name=lat]').fill('42.35');
  await form.locator('input[name=lng]').fill('west');
  await form.getByRole('button', { name: 'Add warehouse' }).click();
  // A bad coordinate is named, and nothing is added.
  await expect(page.getByText('Longitude: enter a number from -180 to 180 (got “west”).')).toBeVisible();
  await expect(page.locator(`tr[data-code="${code}"]`)).toHaveCount(0);
  await form.locator('input[name=lng]').fill('-71.05');
  await form.getByRole('button', { name: 'Add warehouse' }).click();
  await expect(page.getByTestId('warehouse-saved')).toHaveText(`Warehouse ${code} added.`);
  await expect(page.locator(`tr[data-code="${code}"]`).getByTestId('warehouse-pick-method')).toHaveText('Single order');

  // Change its default picking method to zone picking.
  await page.getByTestId('warehouse-pick-method-select').selectOption('zone');
  await page.getByTestId('warehouse-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('warehouse-saved')).toHaveText(`Warehouse ${code} saved.`);
  await expect(page.locator(`tr[data-code="${code}"]`).getByTestId('warehouse-pick-method')).toHaveText('Zone');

  // The fulfilment screen starts pick lists for that warehouse with its method; Newark keeps batching.
  await page.goto('/fulfilment');
  const pickForm = page.getByTestId('pick-list-form');
  await pickForm.locator('select[name=warehouse]').selectOption(code);
  await expect(pickForm.locator('select[name=method]')).toHaveValue('zone');
  await expect(pickForm.locator('select[name=method] option:checked')).toHaveText('Zone (warehouse default)');
  await pickForm.locator('select[name=warehouse]').selectOption('EWR');
  await expect(pickForm.locator('select[name=method]')).toHaveValue('batch');

  // Settings → Carriers → Add carrier, with one rule for parcels to Iceland up to 2 kg.
  await page.goto('/settings/carriers');
  await page.getByTestId('carrier-add').click();
  const carrier = page.getByTestId('carrier-form');
  await carrier.locator('input[name=code]').fill(`e2e-${suffix}`);
  await carrier.locator('input[name=name]').fill(`Reykjavik Post ${suffix}`);
  await carrier.locator('input[name=trackingUrlTemplate]').fill('https://track.example/is/{tracking}');
  await carrier.locator('input[name="rules.0.service"]').fill('Economy');
  await carrier.locator('input[name="rules.0.countries"]').fill('is');
  await carrier.locator('input[name="rules.0.maxWeightGrams"]').fill('2000');
  await carrier.locator('input[name="rules.0.priority"]').fill('soon');
  await carrier.getByRole('button', { name: 'Add carrier' }).click();
  await expect(page.getByText('Rule 1, priority: enter a whole number from 0 to 9999 (got “soon”).')).toBeVisible();
  await carrier.locator('input[name="rules.0.priority"]').fill('1');
  await carrier.getByRole('button', { name: 'Add carrier' }).click();
  await expect(page.getByTestId('carrier-saved')).toHaveText(`Carrier Reykjavik Post ${suffix} added.`);

  // The rule tester: a 1 kg standard parcel to Iceland goes with the new carrier.
  const tester = page.getByTestId('carrier-test');
  const check = async (grams: string) => {
    await tester.locator('input[name=country]').fill('IS');
    await tester.locator('input[name=weight]').fill(grams);
    await tester.getByRole('button', { name: 'Check' }).click();
  };
  await check('1000');
  await expect(page.getByTestId('carrier-test-result')).toHaveText(`Ships with Reykjavik Post ${suffix}, Economy.`);

  // Edit the rule down to 500 g: the same parcel now falls through to DHL's rule for anywhere.
  await page.getByTestId('carrier-form').locator('input[name="rules.0.maxWeightGrams"]').fill('500');
  await page.getByTestId('carrier-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('carrier-saved')).toHaveText(`Carrier Reykjavik Post ${suffix} saved.`);
  await check('1000');
  await expect(page.getByTestId('carrier-test-result')).toHaveText('Ships with DHL Express, Express Worldwide.');

  // Add a second rule for heavier parcels: the tester follows it.
  await page.getByTestId('rule-add').click();
  const form2 = page.getByTestId('carrier-form');
  await form2.locator('input[name="rules.1.service"]').fill('Freight');
  await form2.locator('input[name="rules.1.countries"]').fill('IS');
  await form2.locator('input[name="rules.1.priority"]').fill('2');
  await form2.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('carrier-saved')).toHaveText(`Carrier Reykjavik Post ${suffix} saved.`);
  await expect(page.locator(`tr[data-code="e2e-${suffix}"]`)).toContainText('Freight');
  await check('1000');
  await expect(page.getByTestId('carrier-test-result')).toHaveText(`Ships with Reykjavik Post ${suffix}, Freight.`);
});
