import { expect, test } from '@playwright/test';
import { AREAS, can, ROLES } from '../../app/lib/permissions.ts';
import { signIn, userFor } from './fixtures.ts';

test.describe('signing in', () => {
  for (const role of ROLES) {
    test(`${role} signs in and sees only the areas the role may open`, async ({ page }) => {
      await signIn(page, role);
      for (const area of AREAS) {
        await expect(page.getByTestId(`nav-${area.id}`)).toHaveCount(can(role, area.permission) ? 1 : 0);
      }
      await expect(page.getByTestId('live-status')).toHaveAttribute('data-status', 'online');
    });
  }

  test('a wrong password is refused with a message', async ({ page }) => {
    await page.goto('/login');
    await page.getByTestId('login-email').fill(userFor('agent').email);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await expect(page).toHaveURL(/\/login/);
  });

  test('signing out ends the session', async ({ page }) => {
    await signIn(page, 'ops_manager');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login/);
    await page.goto('/orders');
    await expect(page).toHaveURL(/\/login\?redirectTo=%2Forders/);
  });
});

test('a forbidden page answers 403 with a translated explanation', async ({ page }) => {
  await signIn(page, 'warehouse');
  const res = await page.goto('/settings/audit');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
});

test('switching to 繁體中文 translates the shell and is remembered', async ({ page }) => {
  await signIn(page, { key: 'ops-linguist' });
  await page.goto('/service');
  await expect(page.getByTestId('nav-orders')).toHaveText('Orders');
  await page.getByTestId('locale-switcher').selectOption('zh-TW');
  await expect(page.getByTestId('nav-orders')).toHaveText('訂單');
  await expect(page.getByTestId('nav-inventory')).toHaveText('庫存');
  await expect(page.getByRole('button', { name: '登出' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '客服工作台' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-TW');
  await page.reload();
  await expect(page.getByTestId('nav-orders')).toHaveText('訂單');
});

test('the audit page shows sign-ins', async ({ page }) => {
  const admin = await signIn(page, 'admin');
  await page.goto('/settings/audit?action=auth.login');
  const table = page.getByTestId('audit-table');
  await expect(table).toContainText('auth.login');
  await expect(table).toContainText(admin.email);
});

test('the shell works on a 375 px wide phone', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, 'admin');
  const nav = page.getByTestId('nav-settings');
  await expect(nav).not.toBeInViewport();
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(nav).toBeInViewport();
  await nav.click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(nav).not.toBeInViewport();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
