import { expect, type Page } from '@playwright/test';
import type { DemoCredentials } from '../../scripts/seed/demo.ts';

export const credentials = (): DemoCredentials => JSON.parse(process.env.E2E_CREDENTIALS ?? '{"users":[]}');
export const userFor = (role: string) => credentials().users.find((u) => u.role === role)!;

export async function signIn(page: Page, role: string) {
  const user = userFor(role);
  await page.goto('/login');
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await expect(page.getByTestId('current-user')).toBeAttached();
  return user;
}
