import { expect, test } from '@playwright/test';
import { credentials, signIn } from './fixtures.ts';

test('an agent watches the open-tickets tile move live, opens the queue behind it, and drills from the service report to the day’s tickets', async ({
  page,
  request,
}) => {
  await signIn(page, 'agent');
  await page.goto('/dashboards');
  const tile = page.getByTestId('tile-ticketsOpen');
  const open = async () => Number((await tile.locator('.tile-value').textContent())!.replace(/\D/g, ''));
  await expect(tile).toBeVisible();
  await expect(page.getByTestId('tile-slaAtRisk')).toBeVisible();
  const before = await open();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

  // A ticket from an integration: the tile counts it without a reload (the service rollup's refresher tells the dashboards).
  const res = await request.post('/api/v1/tickets', {
    headers: { authorization: `Bearer ${credentials().apiKey}`, 'content-type': 'application/json' },
    data: { subject: `Report drill ${Date.now()}`, body: 'Where is my parcel?', email: `drill${Date.now()}@example.com`, tags: ['report-drill'] },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { number } = (await res.json()) as { number: string };
  await expect.poll(open, { timeout: 8_000 }).toBe(before + 1);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);

  // The tile opens the queue of open tickets, the new one in it.
  await tile.click();
  await expect(page).toHaveURL(/\/service\?view=all&state=open$/);
  await expect(page.locator(`[data-testid="ticket-row"][data-number="${number}"]`)).toBeVisible();

  // The service report (agents may read it), today's created count opens the queue of today's tickets.
  await page.getByTestId('service-report-link').click();
  await expect(page).toHaveURL(/\/analytics\/service$/);
  await expect(page.getByTestId('report-tabs')).toBeVisible();
  await expect(page.getByTestId('time-basis')).toBeVisible();
  await expect(page.getByTestId('service-chart').locator('.recharts-bar-rectangle path').first()).toBeVisible();
  await expect(page.getByTestId('service-reasons')).toContainText('report-drill');
  await page.getByTestId('service-series').locator('xpath=..').locator('summary').click();
  await page.getByTestId('drill-created').last().click();
  await expect(page).toHaveURL(/\/service\?view=all&dates=created&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$/);
  await expect(page.locator(`[data-testid="ticket-row"][data-number="${number}"]`)).toBeVisible();

  // The sales report is not theirs: the area opens on the service report.
  await page.goto('/analytics');
  await expect(page).toHaveURL(/\/analytics\/service$/);
  await expect(page.getByTestId('report-tabs').locator('a[href="/analytics"]')).toHaveCount(0);
});
