import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

// The orders list pages by cursor: next and previous never repeat or skip an order, sorting starts again
// from the first page, and the address of a page can be shared.
test('the orders list pages forwards and back by cursor', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/orders?pageSize=10&sort=total&dir=desc');
  const numbers = () => page.getByTestId('order-row').locator('td:nth-child(2) a').allInnerTexts();
  const first = await numbers();
  expect(first).toHaveLength(10);

  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page).toHaveURL(/after=.*page=2|page=2.*after=/);
  await expect(page.getByTestId('order-row').first()).not.toContainText(first[0]);
  const second = await numbers();
  expect(second).toHaveLength(10);
  expect(second.filter((n) => first.includes(n))).toEqual([]);

  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page).toHaveURL(/page=3/);
  const third = await numbers();
  expect(third.filter((n) => first.includes(n) || second.includes(n))).toEqual([]);

  await page.getByRole('link', { name: 'Previous' }).click();
  await expect(page).toHaveURL(/before=.*page=2|page=2.*before=/);
  expect(await numbers()).toEqual(second);
  await page.getByRole('link', { name: 'Previous' }).click();
  await expect(page).not.toHaveURL(/before=|after=/);
  expect(await numbers()).toEqual(first);

  // A new sort starts from its first page.
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page).toHaveURL(/page=2/);
  await page.getByTestId('orders-table').locator('thead').getByRole('link', { name: 'Order', exact: true }).click();
  await expect(page).not.toHaveURL(/after=|page=/);
});
