import { test } from '@playwright/test';
import { signIn } from './fixtures.ts';
test('shots', async ({ page }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, 'admin');
  await page.goto('/settings/api-docs');
  await page.waitForTimeout(5000);
  await page.screenshot({ path: `/tmp/notes/apidocs-1280.png` });
  await page.goto('/settings/webhooks');
  await page.waitForTimeout(500);
  await page.screenshot({ path: `/tmp/notes/webhooks-1280.png`, fullPage: true });
  console.log('ERRORS', JSON.stringify(errors).slice(0, 1500));
});
