import { expect, test, type Page } from '@playwright/test';
import { place, signIn, userFor } from './fixtures.ts';

// Two people in one draft: each sees the other at once, a save reaches the other as a notice (with
// take theirs / merge), and leaving the page takes the person off the other's screen. Only names and
// test ids are asserted, so the users' languages (other tests switch them) do not matter.

/** Who the page shows as also here (each chip is an avatar with initials, then the name). */
async function expectOthers(page: Page, names: string[]) {
  const chips = page.getByTestId('presence-user');
  await expect(chips).toHaveCount(names.length);
  if (names.length) await expect(chips).toContainText(names);
}

test('two designers on one draft see each other live, and a save reaches the other as a notice to take or merge', async ({ browser }) => {
  const ops = await (await browser.newContext()).newPage();
  const admin = await (await browser.newContext()).newPage();
  await signIn(ops, 'ops_manager');
  await signIn(admin, 'admin');
  const olivia = userFor('ops_manager').name,
    alex = userFor('admin').name;

  // A fresh flow, so that no other test edits this draft.
  const stamp = Date.now().toString(36);
  await ops.goto('/workflows');
  await ops.getByTestId('flow-name').fill(`Presence ${stamp}`);
  await ops.getByTestId('flow-key').fill(`presence-${stamp}`);
  await ops.getByTestId('flow-create').locator('button[type=submit]').click();
  await ops.waitForURL(`/workflows/presence-${stamp}`);
  await expect(ops.getByTestId('canvas')).toBeVisible();
  await expectOthers(ops, []);

  await admin.goto(`/workflows/presence-${stamp}`);
  await expectOthers(admin, [olivia]);
  await expectOthers(ops, [alex]);

  // Alex adds a trigger; Olivia is told at once, before she saves anything.
  await place(admin, 'control.trigger', 'trigger', { x: 80, y: 40 });
  await expect(ops.getByTestId('draft-notice')).toContainText(alex);
  await expect(admin.getByTestId('draft-notice')).toHaveCount(0);

  // Olivia has a change of her own meanwhile; it waits (nothing is saved over Alex's draft) until she merges.
  await place(ops, 'control.end', 'end', { x: 80, y: 300 });
  await ops.getByTestId('draft-merge').click();
  await expect(ops.getByTestId('draft-notice')).toHaveCount(0);
  for (const id of ['trigger', 'end']) await expect(ops.locator(`.react-flow__node[data-id="${id}"]`)).toBeVisible();

  // The merged draft is saved, and now Alex is told; he takes it as it is.
  await expect(admin.getByTestId('draft-notice')).toContainText(olivia, { timeout: 10_000 });
  await admin.getByTestId('draft-take-theirs').click();
  await expect(admin.getByTestId('draft-notice')).toHaveCount(0);
  for (const id of ['trigger', 'end']) await expect(admin.locator(`.react-flow__node[data-id="${id}"]`)).toBeVisible();

  // Leaving the page (navigating away, or closing the tab) takes you off the others' screens.
  await admin.goto('/workflows');
  await expectOthers(ops, []);
  await admin.goBack();
  await expectOthers(ops, [alex]);
  await admin.context().close();
  await expectOthers(ops, []);
  await ops.context().close();
});
