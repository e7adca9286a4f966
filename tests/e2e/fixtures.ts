import { expect, type Page } from '@playwright/test';
import type { DemoCredentials } from '../../scripts/seed/demo.ts';

export const credentials = (): DemoCredentials => JSON.parse(process.env.E2E_CREDENTIALS ?? '{"users":[]}');
export const userFor = (role: string) => credentials().users.find((u) => u.role === role)!;
/** One of the extra users global-setup creates (see EXTRA_USERS), for tests that change what is stored on the user. */
export const extraUser = (key: string) => credentials().users.find((u) => u.email === `${key}@test.local`)!;

/** Signs in as the demo user of `role`, or as an extra user given as `{ key }`. */
export async function signIn(page: Page, who: string | { key: string }) {
  const user = typeof who === 'string' ? userFor(who) : extraUser(who.key);
  await page.goto('/login');
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await expect(page.getByTestId('current-user')).toBeAttached();
  return user;
}

/**
 * Makes a new flow from the workflows page and opens it on the designer's canvas. `key` is the key the
 * page makes of the name (lower case, dashes), which the designer's address ends in; `kind` as the form offers it.
 */
export async function createFlow(page: Page, { name, key, kind }: { name: string; key: string; kind?: string }) {
  await page.goto('/workflows');
  await page.getByTestId('flow-name').fill(name);
  if (kind) await page.getByTestId('flow-kind').selectOption(kind);
  await page.getByTestId('flow-create').getByRole('button', { name: 'Create and open' }).click();
  await page.waitForURL(`/workflows/${key}`);
}

/** Drags a palette entry onto the canvas with the mouse (HTML5 drag and drop), and waits for the new step, whose id is given. */
export async function place(page: Page, type: string, id: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId('canvas'), { targetPosition: at });
  await expect(page.locator(`.react-flow__node[data-id="${id}"]`)).toBeVisible();
}

/** Drags from one step's exit to another step's entry, as a person connects them, and waits for the new edge. */
export async function wire(page: Page, source: string, exit: string, target: string) {
  const edges = page.locator('.react-flow__edge');
  const before = await edges.count();
  await page
    .locator(`.react-flow__node[data-id="${source}"]`)
    .getByLabel(`Exit “${exit}”`)
    .dragTo(page.locator(`.react-flow__node[data-id="${target}"]`).getByLabel('Entry'));
  await expect(edges).toHaveCount(before + 1);
}
