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
