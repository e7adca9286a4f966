import { expect, test } from '@playwright/test';
import { createFlow, place, signIn, wire } from './fixtures.ts';

// The pick step's method in the designer: a new step starts on the warehouse's own method, the form
// offers it next to the four methods by name, and a flow with either publishes.

test.use({ viewport: { width: 1600, height: 1000 } });

test('a new pick step uses the warehouse’s default method, and a flow with it or a named method publishes', async ({ page }) => {
  await signIn(page, 'ops_manager');
  const stamp = Date.now().toString(36);
  await createFlow(page, { name: `E2E picking ${stamp}`, key: `e2e-picking-${stamp}` });

  await place(page, 'control.trigger', 'trigger', { x: 60, y: 30 });
  await place(page, 'fulfilment.pickList', 'picklist', { x: 60, y: 200 });
  await place(page, 'control.end', 'end', { x: 420, y: 200 });
  await wire(page, 'trigger', 'next', 'picklist');
  await wire(page, 'picklist', 'ok', 'end');
  const inspector = page.getByTestId('inspector');
  await page.locator('.react-flow__node[data-id="trigger"]').click();
  await inspector.getByLabel('Event').selectOption('order.created');

  await page.locator('.react-flow__node[data-id="picklist"]').click();
  const method = inspector.getByLabel('Pick method');
  await expect(method).toHaveValue('warehouse_default');
  await expect(method.locator('option:checked')).toHaveText('Warehouse default');
  await expect(method.locator('option')).toHaveText(['Warehouse default', 'Single order', 'Batch', 'Zone', 'Wave']);

  const errors = page.getByTestId('errors-panel');
  const publish = async (message: string, version: number) => {
    await expect(errors).toContainText('No problems: ready to publish');
    await expect(page.getByTestId('save-state')).toContainText('Draft saved', { timeout: 10_000 });
    await page.getByTestId('publish-message').fill(message);
    await page.getByTestId('publish').click();
    await expect(page.getByTestId('published')).toHaveText(`Published as version ${version}.`);
  };
  await publish('Warehouse default', 1);

  // A named method is kept as chosen; publishing checks it too.
  await method.selectOption('zone');
  await expect(method.locator('option:checked')).toHaveText('Zone');
  await publish('Zone picking', 2);
  await page.getByTestId('compare-from').selectOption('1');
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('diff-changed')).toHaveText('Changed steps: picklist (settings)');
});
