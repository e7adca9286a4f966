import { expect, test, type Page } from '@playwright/test';
import { signIn } from './fixtures.ts';

// The pick step's method in the designer: a new step starts on the warehouse's own method, the form
// offers it next to the four methods by name, and a flow with either publishes.

test.use({ viewport: { width: 1600, height: 1000 } });

/** Drags a palette entry onto the canvas with the mouse; the new step's id is given. */
async function place(page: Page, type: string, id: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId('canvas'), { targetPosition: at });
  await expect(page.locator(`.react-flow__node[data-id="${id}"]`)).toBeVisible();
}

/** Drags from one step's exit to another step's entry. */
async function wire(page: Page, source: string, exit: string, target: string) {
  const edges = page.locator('.react-flow__edge');
  const before = await edges.count();
  await page.locator(`.react-flow__node[data-id="${source}"]`).getByLabel(`Exit “${exit}”`).dragTo(page.locator(`.react-flow__node[data-id="${target}"]`).getByLabel('Entry'));
  await expect(edges).toHaveCount(before + 1);
}

test('a new pick step uses the warehouse’s default method, and a flow with it or a named method publishes', async ({ page }) => {
  await signIn(page, 'ops_manager');
  const stamp = Date.now().toString(36);
  await page.goto('/workflows');
  await page.getByTestId('flow-name').fill(`E2E picking ${stamp}`);
  await page.getByTestId('flow-create').getByRole('button', { name: 'Create and open' }).click();
  await page.waitForURL(`/workflows/e2e-picking-${stamp}`);

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
