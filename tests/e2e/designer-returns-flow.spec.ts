import { expect, test, type Page } from '@playwright/test';
import { createFlow, place, signIn, wire } from './fixtures.ts';

// The designer's whole story in one scenario: an ops manager draws a returns flow on an empty canvas
// with the mouse, fixes what the checks report, simulates it on a real order, publishes and binds it;
// a customer asks for a return on the public tracking page; the ops manager watches the run live.

test.use({ viewport: { width: 1600, height: 1000 } });

interface OrderDetail {
  id: number;
  number: string;
  status: string;
  trackingToken: string;
  payments: { status: string }[];
}

/** A delivered demo order, paid by card or transfer, that nobody has returned yet (its tracking page still offers a return). */
async function deliveredOrder(page: Page): Promise<OrderDetail> {
  const list = (await (await page.request.get('/api/v1/orders?status=delivered&sort=placed_at&dir=desc&pageSize=30')).json()) as { rows: { id: number }[] };
  for (const { id } of list.rows) {
    const order = (await (await page.request.get(`/api/v1/orders/${id}`)).json()) as OrderDetail;
    if (!order.payments.some((p) => p.status === 'captured')) continue;
    const track = await page.request.get(`/track/${order.trackingToken}`);
    if (await track.text().then((html) => html.includes('data-testid="return-form"') && !html.includes('data-testid="rma"'))) return order;
  }
  throw new Error('no returnable delivered order in the demo data');
}

test('an ops manager draws a returns flow from nothing, publishes and binds it, and watches a customer’s return run through it', async ({ page, browser }) => {
  test.setTimeout(90_000);
  await signIn(page, 'ops_manager');
  const order = await deliveredOrder(page);

  // A new flow opens on an empty canvas.
  const stamp = Date.now().toString(36);
  const name = `E2E returns ${stamp}`;
  await createFlow(page, { name, key: `e2e-returns-${stamp}`, kind: 'return' });
  const canvas = page.getByTestId('canvas');
  const errors = page.getByTestId('errors-panel');
  await expect(canvas.locator('.react-flow__node')).toHaveCount(0);
  await expect(errors).toContainText('The flow needs a trigger.');

  // Steps dragged from the palette, then wired exit to entry.
  await place(page, 'control.trigger', 'trigger', { x: 60, y: 30 });
  await place(page, 'returns.createRma', 'createrma', { x: 60, y: 170 });
  await place(page, 'control.human', 'human', { x: 60, y: 310 });
  await place(page, 'returns.receive', 'receive', { x: 60, y: 450 });
  await place(page, 'returns.refund', 'refund', { x: 420, y: 30 });
  await place(page, 'notifications.alert', 'alert', { x: 420, y: 170 });
  await place(page, 'control.end', 'end', { x: 420, y: 450 });
  await wire(page, 'trigger', 'next', 'createrma');
  await wire(page, 'createrma', 'ok', 'human');
  await wire(page, 'human', 'approved', 'receive');
  await wire(page, 'receive', 'ok', 'refund');
  await wire(page, 'refund', 'ok', 'alert');
  await wire(page, 'alert', 'ok', 'end');

  // The checks name what is missing, on the step and in the list; fixing each clears it.
  const problem = (text: string) => errors.getByTestId('graph-error').filter({ hasText: text });
  await expect(problem('human: Connect the “rejected” exit.')).toBeVisible();
  await expect(canvas.locator('.react-flow__node[data-id="human"] .flow-node-errors')).toBeVisible();
  await wire(page, 'human', 'rejected', 'end');
  await expect(problem('Connect the “rejected” exit.')).toHaveCount(0);

  const inspector = page.getByTestId('inspector');
  await problem('trigger: Check the setting “Event”').click();
  await expect(inspector.getByRole('heading', { name: 'Trigger' })).toBeVisible();
  await inspector.getByLabel('Event').selectOption('return.requested');
  await expect(problem('trigger:')).toHaveCount(0);

  await problem('human: Check the setting “Task title”').click();
  await expect(inspector.getByRole('heading', { name: 'Approval' })).toBeVisible();
  await inspector.getByTestId('config-title').fill('Approve return');
  await inspector.getByLabel('Operations manager').check();
  await expect(problem('human:')).toHaveCount(0);

  await problem('alert: Check the setting “Message”').click();
  await inspector.getByTestId('config-message').fill('Return refunded.');
  await expect(errors).toContainText('No problems: ready to publish');
  await expect(canvas.locator('.flow-node-errors')).toHaveCount(0);
  await page.getByTestId('auto-layout').click();

  // What if: the order's return would ask for an approval and end at the end step.
  await page.getByTestId('simulate-order').fill(order.number);
  await page.getByTestId('simulate-run').click();
  await expect(page.getByTestId('simulation-result')).toContainText('Ends at “end”');
  await expect(page.getByTestId('simulation-approvals')).toContainText('Would ask Operations manager to approve “Approve return”');
  await expect(canvas.locator('.flow-node.highlighted')).toHaveCount(7);

  // Publish with a message once the draft is saved.
  await expect(page.getByTestId('save-state')).toContainText('Draft saved', { timeout: 10_000 });
  await page.getByTestId('publish-message').fill('First returns flow');
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('published')).toHaveText('Published as version 1.');
  await expect(page.getByTestId('versions').locator('tr', { hasText: 'First returns flow' })).toBeVisible();

  // Bound to return.requested ahead of the Standard return (priority 10 < 100), for this order only.
  await page.goto('/workflows/bindings');
  const create = page.getByTestId('binding-create');
  await create.getByTestId('binding-event').selectOption('return.requested');
  await create.getByTestId('binding-flow').selectOption({ label: name });
  await create.getByTestId('binding-filter').fill(`number = '${order.number}'`);
  await create.getByTestId('binding-priority').fill('10');
  await create.getByRole('button', { name: 'Add binding' }).click();
  await expect(page.getByTestId('binding-done')).toHaveText('Binding added.');
  const tester = page.getByTestId('binding-test');
  await tester.locator('select[name=event]').selectOption('return.requested');
  await tester.getByTestId('binding-test-payload').fill(JSON.stringify({ returnId: 1, number: order.number, orderId: order.id }));
  await tester.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('binding-test-result')).toContainText(`“${name}” version 1 would start`);

  // The customer asks for a return of one item on the tracking page.
  const customer = await browser.newPage();
  await customer.goto(`/track/${order.trackingToken}`);
  await customer.getByTestId('return-form').locator('input[name=quantity]').first().fill('1');
  await customer.getByTestId('return-form').locator('select[name=reason]').selectOption('no_longer_needed');
  await customer.getByTestId('return-form').getByRole('button', { name: 'Request return' }).click();
  await expect(customer.getByTestId('return-created')).toContainText('RMA-');
  await customer.close();

  // The run appears in the flow's run list; it waits for the approval.
  await page.goto(`/workflows?flow=e2e-returns-${stamp}`);
  const runLink = page.getByTestId('runs').getByRole('link', { name: /^return-\d+$/ });
  await expect(runLink).toBeVisible({ timeout: 15_000 });
  const workflowId = (await runLink.innerText()).trim();
  await runLink.click();
  await page.waitForURL(`/workflows/runs/${workflowId}`);
  const step = (id: string) => page.locator(`.react-flow__node[data-id="${id}"] .flow-node`);
  await expect(step('createrma')).toHaveAttribute('data-status', 'done', { timeout: 15_000 });
  await expect(step('human')).toHaveAttribute('data-status', /waiting|running/);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await page.evaluate(() => {
    (window as unknown as { stillHere: boolean }).stillHere = true;
  });

  // Approved from the inbox in another tab: this page follows along without reloading.
  const inbox = await page.context().newPage();
  await inbox.goto('/workflows/tasks');
  await inbox.getByTestId('task-inbox').locator('tr', { hasText: workflowId }).getByRole('button', { name: 'Approve' }).click();
  await expect(inbox.getByTestId('task-decided')).toBeVisible();
  await inbox.close();

  for (const id of ['trigger', 'createrma', 'human', 'receive', 'refund', 'alert', 'end'])
    await expect(step(id), id).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  await expect(page.getByTestId('run-steps').locator('tr[data-node="refund"]')).toContainText('done');
});
