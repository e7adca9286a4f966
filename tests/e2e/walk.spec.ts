import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { signIn } from './fixtures.ts';

// Every page of the console, as each role sees it, in each language, on a desktop and on a phone. A page
// fails the walk when it is wider than the screen (horizontal overflow), when the browser logs an error,
// or when axe-core finds a serious or critical accessibility violation. Every page is photographed into
// .data/screenshots/<role>/<locale>/<width>/ (kept as the CI run's artefact). A role walks the pages that
// answer it 200; the others are the permission tests' business.

const ROLES = ['admin', 'ops_manager', 'agent', 'warehouse', 'executive'] as const;
const LOCALES = ['en', 'zh-CN', 'zh-TW'] as const;
const WIDTHS = [
  { width: 1280, height: 800 },
  { width: 375, height: 740 },
] as const;
const SHOTS = path.resolve('.data/screenshots');

/** The console's pages without a parameter. */
const STATIC_PAGES = [
  '/',
  '/orders',
  '/orders/new',
  '/orders/import',
  '/inventory',
  '/purchasing',
  '/purchasing/suppliers',
  '/fulfilment',
  '/workflows',
  '/workflows/standard-order',
  '/workflows/bindings',
  '/workflows/tasks',
  '/service',
  '/customers',
  '/dashboards',
  '/analytics',
  '/analytics/products',
  '/analytics/margin',
  '/analytics/customers',
  '/analytics/fulfilment',
  '/analytics/returns',
  '/analytics/service',
  '/analytics/workflows',
  '/analytics/replenishment',
  '/settings',
  '/settings/agents',
  '/settings/api-docs',
  '/settings/api-keys',
  '/settings/approval-limits',
  '/settings/audit',
  '/settings/calendars',
  '/settings/canned-responses',
  '/settings/carriers',
  '/settings/channels',
  '/settings/exchange-rates',
  '/settings/store',
  '/settings/macros',
  '/settings/notifications',
  '/settings/sla',
  '/settings/teams',
  '/settings/users',
  '/settings/warehouses',
  '/settings/webhooks',
];

/** Pages of one record each, found by following the first link of the kind on the list that shows them. */
const LINKED_PAGES: { list: string; link: RegExp }[] = [
  { list: '/purchasing', link: /href="(\/purchasing\/\d+)"/ },
  { list: '/fulfilment', link: /href="(\/fulfilment\/pick-lists\/\d+)"/ },
  { list: '/workflows', link: /href="(\/workflows\/runs\/[^"?#]+)"/ },
  { list: '/service', link: /href="(\/service\/\d+)"/ },
  { list: '/customers', link: /href="(\/customers\/\d+)"/ },
  { list: '/settings/webhooks', link: /href="(\/settings\/webhooks\/\d+)"/ },
];

/** Console messages that are not faults of the page (none so far; add with the reason). */
const IGNORED_CONSOLE: RegExp[] = [];

let pages: string[] = [];

async function discover(browser: Browser): Promise<string[]> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'admin');
  const found: string[] = [];
  for (const { list, link } of LINKED_PAGES) {
    const html = await (await page.request.get(list)).text();
    const m = link.exec(html.replaceAll('&amp;', '&'));
    if (m) found.push(m[1]);
  }
  // A delivered demo order (the fullest page: payments, shipments, timeline), and the customer's tracking page of it.
  const orders = (await (await page.request.get('/api/v1/orders?status=delivered&sort=placed_at&dir=asc&pageSize=1')).json()) as { rows: { id: number }[] };
  if (orders.rows[0]) {
    const order = (await (await page.request.get(`/api/v1/orders/${orders.rows[0].id}`)).json()) as { trackingToken: string };
    found.push(`/orders/${orders.rows[0].id}`, `/track/${order.trackingToken}`);
  }
  await context.close();
  return [...STATIC_PAGES, ...found];
}

test.beforeAll(async ({ browser }) => {
  pages = await discover(browser);
});

/** What is wrong with the page as shown: overflow, console errors since `since`, serious axe violations. */
async function faults(page: Page, consoleErrors: string[]): Promise<string[]> {
  const out: string[] = [];
  const overflow = await page.evaluate(() => {
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    // Name the widest element that sticks out, to say where to look.
    let worst: { tag: string; right: number } | null = null;
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && (!worst || r.right > worst.right)) {
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        worst = { tag: `${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : cls}`, right: Math.round(r.right) };
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, worst };
  });
  if (overflow) out.push(`overflow: page is ${overflow.scrollWidth}px wide; widest: ${overflow.worst?.tag} reaches ${overflow.worst?.right}px`);
  for (const e of consoleErrors) out.push(`console: ${e}`);
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  for (const v of axe.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    out.push(
      `axe ${v.impact} ${v.id}: ${v.help} — ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(' | ')}`,
    );
  }
  return out;
}

const slug = (p: string) => p.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '_') || 'home';

for (const role of ROLES) {
  for (const locale of LOCALES) {
    test(`every page ${role} may open is whole in ${locale} at 1280 and 375 px`, async ({ page }) => {
      test.setTimeout(10 * 60_000);
      const consoleErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && !IGNORED_CONSOLE.some((r) => r.test(m.text()))) consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
      await signIn(page, { key: `walk-${role}-${locale.toLowerCase()}` });
      await page.getByTestId('locale-switcher').selectOption(locale);
      await expect(page.locator('html')).toHaveAttribute('lang', locale);
      // Let this page finish its own requests (route discovery), which a navigation now would cancel with a console error.
      await page.waitForLoadState('networkidle').catch(() => {});

      const only = process.env.WALK_ONLY ? new RegExp(process.env.WALK_ONLY) : null; // to walk fewer pages while fixing one
      const open: string[] = [];
      for (const p of pages.filter((x) => !only || only.test(x))) if ((await page.request.get(p, { maxRedirects: 0 })).status() < 400) open.push(p);
      if (!only) expect(open.length, 'pages the role may open').toBeGreaterThan(3);

      const problems: string[] = [];
      for (const size of WIDTHS) {
        await page.setViewportSize(size);
        const dir = path.join(SHOTS, role, locale, String(size.width));
        fs.mkdirSync(dir, { recursive: true });
        for (const p of open) {
          consoleErrors.length = 0;
          await page.goto(p);
          await page.waitForLoadState('networkidle').catch(() => {});
          await page.evaluate(() => document.fonts.ready.then(() => undefined));
          for (const f of await faults(page, consoleErrors)) problems.push(`${role} ${locale} ${size.width}px ${p}: ${f}`);
          await page.screenshot({ path: path.join(dir, `${slug(p)}.jpeg`), type: 'jpeg', quality: 60, fullPage: true });
        }
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }
}
