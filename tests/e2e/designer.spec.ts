import { expect, test, type Page } from '@playwright/test';
import { createFlow, place, signIn, wire } from './fixtures.ts';

/** Drags a palette entry onto the canvas with the HTML5 drag events the designer listens to. */
async function dragToCanvas(page: Page, type: string) {
  const canvas = page.getByTestId('canvas');
  const box = (await canvas.boundingBox())!;
  const dataTransfer = await page.evaluateHandle(() => new DataTransfer());
  await page.getByTestId(`palette-${type}`).dispatchEvent('dragstart', { dataTransfer });
  await canvas.dispatchEvent('dragover', { dataTransfer, clientX: box.x + box.width - 120, clientY: box.y + 80 });
  await canvas.dispatchEvent('drop', { dataTransfer, clientX: box.x + box.width - 120, clientY: box.y + 80 });
}

test('an ops manager adds a step, fixes what the checks report and publishes', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/workflows/standard-return');
  const errors = page.getByTestId('errors-panel');
  await expect(errors).toContainText('No problems');
  await expect(page.getByTestId('canvas').locator('.react-flow__node').first()).toBeVisible();

  await dragToCanvas(page, 'control.delay');
  await expect(page.getByTestId('flow-node-control.delay')).toBeVisible();
  await expect(errors.getByTestId('graph-error').filter({ hasText: 'No path leads here from the trigger' })).toHaveText(/^delay: /);
  await expect(
    errors
      .getByTestId('graph-error')
      .filter({ hasText: 'Connect the “next” exit' })
      .or(errors.getByTestId('graph-error').filter({ hasText: 'Connect the “out” exit' }))
      .first(),
  ).toBeVisible();

  // Clicking a problem selects its step; deleting the step clears the list.
  await page.getByRole('button', { name: 'Fit to screen' }).click();
  await errors.getByTestId('graph-error').filter({ hasText: 'No path leads here' }).click();
  await expect(page.getByTestId('inspector')).toContainText('Delay');
  await page.locator('.designer-toolbar').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByTestId('flow-node-control.delay')).toHaveCount(0);
  await expect(errors).toContainText('No problems');

  const message = `e2e designer ${Date.now()}`;
  await page.getByTestId('publish-message').fill(message);
  await expect(page.getByTestId('publish')).toBeEnabled({ timeout: 10_000 });
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('published')).toBeVisible();
  await expect(page.getByTestId('versions').locator('tr', { hasText: message })).toBeVisible();

  // What if: a return worth more than the threshold asks for an approval, and the path is outlined.
  await page
    .getByTestId('simulate-payload')
    .fill(JSON.stringify({ returnId: 1, reason: 'wrong_size', resolution: 'refund', amountMinor: 50_000, currency: 'GBP' }));
  await page.getByTestId('simulate-run').click();
  await expect(page.getByTestId('simulation-result')).toContainText('Ends at “Done”');
  await expect(page.getByTestId('simulation-approvals')).toContainText('Would ask Operations manager, Service agent to approve “Approve return”');
  await expect(page.getByTestId('canvas').locator('.flow-node.highlighted').first()).toBeVisible();

  // Comparing the new version with the first one: the same graph.
  await page.getByTestId('compare-from').selectOption('1');
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('diff')).toContainText('The two versions are the same.');
});

test('the palette and the checks are translated in Chinese', async ({ page }) => {
  await signIn(page, { key: 'admin-linguist' });
  await page.goto('/workflows/standard-return');
  await page.getByTestId('locale-switcher').selectOption('zh-CN');
  await expect(page.getByTestId('palette-control.delay')).toHaveText('延时');
  // The flow and its steps carry their names in the reader's language.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('标准退货');
  await expect(page.getByTestId('canvas')).toContainText('创建退货单');
  await expect(page.getByRole('complementary', { name: '步骤' }).getByRole('heading', { name: '流程控制' })).toBeVisible();
  // A new flow of its own (no other test edits it): its problems are listed in Chinese too.
  const key = `zh-${Date.now().toString(36)}`;
  await page.goto('/workflows');
  await page.getByTestId('flow-name').fill('退货流程');
  await page.getByTestId('flow-key').fill(key);
  await page.getByRole('button', { name: '创建并打开' }).click();
  await page.waitForURL(`/workflows/${key}`);
  const errors = page.getByTestId('errors-panel');
  await expect(errors).toContainText('流程需要一个触发器。');
  await dragToCanvas(page, 'control.delay');
  await expect(errors.getByTestId('graph-error').filter({ hasText: 'delay: 请检查设置“时长（如 30m、2h、1d）”。' })).toBeVisible();
  await expect(errors.getByTestId('graph-error').filter({ hasText: 'delay: 请连接“下一步”出口。' })).toBeVisible();
  await expect(errors.getByRole('heading')).toHaveText('3 个问题');
});

test('an agent sees the flow read-only', async ({ page }) => {
  await signIn(page, 'agent');
  await page.goto('/workflows/standard-return');
  await expect(page.getByTestId('canvas').locator('.react-flow__node').first()).toBeVisible();
  await expect(page.getByTestId('publish')).toHaveCount(0);
  await expect(page.getByTestId('palette-control.delay')).toHaveCount(0);
  await expect(page.getByTestId('errors-panel')).toHaveCount(0);

  // Reading is enough to ask "what if" for a real order: routing over current stock, nothing written.
  await page.goto('/orders');
  const number = (await page.getByTestId('order-row').first().locator('a').first().innerText()).trim();
  await page.goto('/workflows/standard-order');
  await page.getByTestId('simulate-order').fill(number);
  await page.getByTestId('simulate-run').click();
  await expect(page.getByTestId('simulation-path')).toContainText('Validate');
  await expect(page.getByTestId('simulation-result')).toContainText('Reserve stock:');
});

test('an ops manager manages bindings and tests a filter', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/workflows');
  await page.getByRole('link', { name: 'Bindings' }).click();
  await expect(page).toHaveURL(/\/workflows\/bindings$/);
  await expect(page.getByTestId('bindings').locator('tr', { hasText: 'order.created' }).first()).toContainText('Standard order');

  const create = page.getByTestId('binding-create');
  await create.getByTestId('binding-event').selectOption('manual');
  await create.getByTestId('binding-filter').fill('by =');
  await create.getByTestId('binding-priority').fill('7');
  await create.getByRole('button', { name: 'Add binding' }).click();
  await expect(create.getByRole('alert')).toContainText('The expression does not parse');
  await create.getByTestId('binding-filter').fill("by = 'e2e@example.com'");
  await create.getByRole('button', { name: 'Add binding' }).click();
  await expect(page.getByTestId('binding-done')).toHaveText('Binding added.');
  const row = page.getByTestId('binding-row').filter({ hasText: "by = 'e2e@example.com'" });
  await expect(row).toContainText('active');

  // The filter test: the example payload does not match; the right one does.
  const tester = page.getByTestId('binding-test');
  await tester.locator('select[name=event]').selectOption('manual');
  await tester.getByTestId('binding-test-payload').fill(JSON.stringify({ by: 'e2e@example.com' }));
  await tester.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('binding-test-result')).toContainText('matches');

  await row.getByTestId('binding-toggle').click();
  await expect(page.getByTestId('binding-done')).toHaveText('Binding deactivated.');
  await expect(row).toContainText('inactive');
  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('binding-delete').click();
  await expect(page.getByTestId('binding-done')).toHaveText('Binding deleted.');
  await expect(row).toHaveCount(0);
});

test('a step from a plugin outside the catalogue is drawn and configured like a built-in one', async ({ page }) => {
  await signIn(page, 'ops_manager');
  await page.goto('/workflows/standard-return');
  await expect(page.getByTestId('palette-gift.message')).toContainText('Gift message');
  await dragToCanvas(page, 'gift.message');
  await expect(page.getByTestId('flow-node-gift.message')).toBeVisible();
  await page.getByTestId('flow-node-gift.message').click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toContainText('Gift message');
  await expect(inspector.getByTestId('config-message')).toBeVisible();
  await expect(inspector.getByTestId('config-wrap')).toHaveValue('paper');
  await inspector.getByTestId('config-message').fill('Happy birthday!');
  await expect(inspector.getByTestId('config-message')).toHaveValue('Happy birthday!');
});

/** The smallest size, in screen pixels, that any step name and edge label is drawn at, at the canvas's current zoom. */
async function smallestText(page: Page) {
  return page.getByTestId('canvas').evaluate((canvas) => {
    const viewport = canvas.querySelector<HTMLElement>('.react-flow__viewport')!;
    const scale = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).a;
    const px = (sel: string) =>
      [...canvas.querySelectorAll<HTMLElement>(sel)].map((el) => ({ text: el.textContent ?? '', px: parseFloat(getComputedStyle(el).fontSize) * scale }));
    const names = px('.react-flow__node .flow-node-title > span:first-of-type');
    const edges = px('.react-flow__edge-text');
    const min = (xs: { px: number }[]) => Math.min(...xs.map((x) => x.px));
    // A name cut short by an ellipsis is not read either.
    const cut = [...canvas.querySelectorAll<HTMLElement>('.react-flow__node .flow-node-title > span:first-of-type')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1)
      .map((el) => el.textContent);
    return { scale, names: names.length, name: min(names), edges: edges.length, edge: edges.length ? min(edges) : Infinity, cut };
  });
}

test('at 1280 px an ops manager draws a five-step flow by drag and connect, reads every label at the opening zoom, and selects by click, box and keyboard', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, 'ops_manager');

  // The seeded Standard order opens at a zoom its every step name and exit label can be read at.
  await page.goto('/workflows/standard-order');
  await expect(page.getByTestId('canvas').locator('.react-flow__node').first()).toBeVisible();
  await expect.poll(async () => (await smallestText(page)).names).toBeGreaterThan(10);
  const seeded = await smallestText(page);
  expect(seeded.name, `step names at zoom ${seeded.scale}`).toBeGreaterThanOrEqual(11);
  expect(seeded.edge, `edge labels at zoom ${seeded.scale}`).toBeGreaterThanOrEqual(10);
  expect(seeded.cut).toEqual([]);
  // The canvas has the work area beside the two panels, and nearly the whole window with both folded away.
  const canvasWidth = async () => (await page.getByTestId('canvas').boundingBox())!.width;
  expect(await canvasWidth()).toBeGreaterThan(700);
  await page.getByRole('button', { name: 'Hide the steps' }).click();
  await page.getByRole('button', { name: 'Hide the settings' }).click();
  await expect.poll(canvasWidth).toBeGreaterThan(1150);
  await page.getByRole('button', { name: 'Show the steps' }).click();
  await page.getByRole('button', { name: 'Show the settings' }).click();

  // Five steps, dragged from the palette and wired exit to entry.
  const stamp = Date.now().toString(36);
  await createFlow(page, { name: `E2E five ${stamp}`, key: `e2e-five-${stamp}` });
  await place(page, 'control.trigger', 'trigger', { x: 80, y: 40 });
  await place(page, 'control.delay', 'delay', { x: 80, y: 170 });
  await place(page, 'notifications.alert', 'alert', { x: 80, y: 300 });
  await place(page, 'notifications.email', 'email', { x: 400, y: 170 });
  await place(page, 'control.end', 'end', { x: 400, y: 300 });
  await wire(page, 'trigger', 'next', 'delay');
  await wire(page, 'delay', 'next', 'alert');
  await wire(page, 'alert', 'ok', 'email');
  await wire(page, 'email', 'ok', 'end');
  const drawn = await smallestText(page);
  expect(drawn.names).toBe(5);
  expect(drawn.name).toBeGreaterThanOrEqual(11);
  expect(drawn.cut).toEqual([]);

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const inspector = page.getByTestId('inspector');
  // Click: the step is selected and the inspector shows it.
  await node('delay').click();
  await expect(node('delay')).toHaveClass(/selected/);
  await expect(inspector.getByRole('heading', { name: 'Delay' })).toBeVisible();
  // Box: Shift and drag over the pane around the two steps of the bottom row selects both, and only them.
  const a = (await node('alert').boundingBox())!;
  const e = (await node('end').boundingBox())!;
  await page.keyboard.down('Shift');
  await page.mouse.move(a.x - 15, a.y - 15);
  await page.mouse.down();
  await page.mouse.move(e.x + e.width + 15, Math.max(a.y + a.height, e.y + e.height) + 15, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(2);
  await expect(node('alert')).toHaveClass(/selected/);
  await expect(node('end')).toHaveClass(/selected/);
  // Keyboard: a focused step is selected with Enter, and the arrow keys move it.
  await node('trigger').click();
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(1);
  await node('email').focus();
  await page.keyboard.press('Enter');
  await expect(node('email')).toHaveClass(/selected/);
  const before = (await node('email').boundingBox())!;
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await node('email').boundingBox())!.x).toBeGreaterThan(before.x);
});
