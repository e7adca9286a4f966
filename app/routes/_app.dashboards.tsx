import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { memo, useDeferredValue, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { type LiveEvent, useLiveFeed, useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import type { Locale } from '../lib/i18n.ts';
import {
  changeDashboardLayout,
  dashboard,
  dashboardLayout,
  figuresFor,
  TILES_BY_ROLE,
  tileLinks,
  type DashboardFigures,
  type Layout,
} from '../modules/analytics/dashboard.server.ts';
import { smallestSize, TILE_SIZES, type Tile } from '../modules/analytics/tiles.ts';
import { warnings as warningsOf } from '../modules/analytics/warnings.server.ts';
import type { SalesFigures } from '../modules/analytics/reports.server.ts';
import { can } from '../lib/permissions.ts';
import { CHART_COLORS, formatMinute } from '../components/charts.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'dashboards.view');
  const { config } = context;
  const em = context.orm.em.fork();
  const todayIso = new Intl.DateTimeFormat('en-CA', { timeZone: config.BUSINESS_TIME_ZONE }).format(new Date());
  const [figures, layout, warnings] = await Promise.all([
    dashboard(em, config.BUSINESS_TIME_ZONE),
    dashboardLayout(em, user),
    can(user.role, 'inventory.view') ? warningsOf(em, todayIso) : Promise.resolve([]),
  ]);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: config.BUSINESS_TIME_ZONE }).format(new Date(figures.asOf));
  return {
    data: figuresFor(user.role, figures),
    layout,
    warnings,
    allowed: TILES_BY_ROLE[user.role],
    links: tileLinks(day, user.role),
    currency: config.BASE_CURRENCY,
    timeZone: config.BUSINESS_TIME_ZONE,
  };
}

type ActionData = { layout?: Layout; errors?: FieldError[] };

/** The user's own arrangement: show, hide, move up or down, resize a tile, or back to the role's default. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'dashboards.view');
  const form = await request.formData();
  assertCsrf(request, form);
  try {
    return data<ActionData>({ layout: await changeDashboardLayout(context.orm, user, Object.fromEntries(form), userActor(user, context.ip)) });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ errors: e.errors ?? [{ field: 'tile', code: e.code, messageKey: `errors.${e.code}` }] }, { status: e.status });
  }
}

/**
 * The figures come pushed over socket.io (`dashboard:update`, analytics/dashboard-feed.server.ts: computed once
 * per beat for every viewer, bursts gathered to about one a second). The page's data is reloaded only for the
 * warnings, at most once a minute after something moved.
 */
const WARNINGS_EVERY_MS = 60_000;
const LIVE_TOPICS = ['dashboards', 'orders', 'inventory'] as const;
const moves = (e: LiveEvent) => e.type !== 'alert.raised';
/** The tiles that count what waits or went wrong, and how loud a non-zero count is. */
const COUNT_TILES: [Exclude<Tile, 'revenue' | 'orders' | 'aov' | 'perMinute'>, 'warn' | 'bad' | 'plain'][] = [
  ['awaitingShipment', 'plain'],
  ['late', 'bad'],
  ['onHold', 'warn'],
  ['paymentFailures', 'bad'],
  ['lowStock', 'warn'],
  ['stockouts', 'bad'],
  ['runsFailed', 'bad'],
  ['tasksOpen', 'warn'],
  ['ticketsOpen', 'plain'],
  ['slaAtRisk', 'bad'],
];
const KPI_TILES = [
  { tile: 'revenue', figure: 'revenue', money: true },
  { tile: 'orders', figure: 'orders', money: false },
  { tile: 'aov', figure: 'aov', money: true },
] as const;
const PER_MINUTE: Tile = 'perMinute';

export default function Dashboards() {
  const { data: loaded, layout, warnings, allowed, links, currency, timeZone } = useLoaderData<typeof loader>();
  const { tiles, sizes } = layout;
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const [params] = useSearchParams();
  const arranging = params.get('arrange') === '1';
  const { t } = useTranslation();
  const locale = useLocale();
  useLiveRevalidate(LIVE_TOPICS, moves, WARNINGS_EVERY_MS, { leading: false });
  // The newest figures, whether pushed or loaded with the page.
  const [pushed, setPushed] = useState<DashboardFigures | null>(null);
  useLiveFeed<DashboardFigures>('dashboard', (next) => setPushed((prev) => (prev && prev.asOf > next.asOf ? prev : next)));
  const data = pushed && pushed.asOf > loaded.asOf ? pushed : loaded;
  // The chart follows the figures: a change paints the tiles first and redraws the chart just after.
  const chart = useDeferredValue(data);
  const show = (tile: Tile) => tiles.includes(tile);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const num = (n: number) => formatNumber(n, locale);

  /** "+12% vs yesterday at this time" (or the figure then, when it was zero). */
  const delta = (now: number, then: number, label: string) => {
    if (then === 0) return <span className="delta flat">{t('dashboard.vsNone', { label })}</span>;
    const pct = Math.round(((now - then) / then) * 100);
    return (
      <span className={`delta ${pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat'}`}>
        {t('dashboard.vs', { pct: formatNumber(pct / 100, locale, { style: 'percent', signDisplay: 'exceptZero' }), label })}
      </span>
    );
  };

  const count = (tile: Tile, value: number, tone: 'warn' | 'bad' | 'plain') =>
    show(tile) ? (
      <Link key={tile} to={links[tile]} className={`tile count size-${sizes[tile]} ${value > 0 ? tone : 'plain'}`} data-testid={`tile-${tile}`}>
        <span className="tile-label">{t(`dashboard.tiles.${tile}`)}</span>
        <span className="tile-value num">{num(value)}</span>
      </Link>
    ) : null;

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.dashboards')}</h1>
        <Link to={arranging ? '/dashboards' : '/dashboards?arrange=1'} className="button" data-testid="arrange">
          {arranging ? t('dashboard.arrange.done') : t('dashboard.arrange.open')}
        </Link>
        <span className="muted">
          {t('dashboard.asOf', { time: new Intl.DateTimeFormat(locale, { timeStyle: 'medium', timeZone }).format(new Date(data.asOf)), timeZone })}
        </span>
      </div>
      {arranging ? <ArrangePanel layout={layout} allowed={allowed} errors={result?.errors} /> : null}
      {warnings.length ? <Warnings warnings={warnings} locale={locale} /> : null}
      <div className="tiles">
        {tiles.map((tile) => {
          const kpi = KPI_TILES.find((k) => k.tile === tile);
          if (kpi) {
            if (!data.today || !data.yesterday || !data.lastWeek) return null;
            const value = (f: SalesFigures) => f[kpi.figure];
            const format = kpi.money ? money : num;
            return (
              <Link key={tile} to={links[tile]} className={`tile kpi size-${sizes[tile]}`} data-testid={`tile-${tile}`}>
                <span className="tile-label">{t(`dashboard.tiles.${tile}`)}</span>
                <span className="tile-value num" data-testid={`${tile}-today`}>
                  {format(value(data.today))}
                </span>
                {delta(value(data.today), value(data.yesterday), t('dashboard.yesterday'))}
                {delta(value(data.today), value(data.lastWeek), t('dashboard.lastWeek'))}
              </Link>
            );
          }
          if (tile === PER_MINUTE)
            return (
              <section key={tile} className={`card chart-card tile-chart size-${sizes[tile]}`} data-testid="tile-perMinute">
                <h2>
                  <Link to={links.perMinute}>{t('dashboard.tiles.perMinute')}</Link>
                </h2>
                <PerMinuteChart
                  points={chart.perMinute}
                  channels={chart.channels}
                  asOf={chart.asOf}
                  height={sizes[tile] === 'l' ? 260 : 220}
                  locale={locale}
                  timeZone={timeZone}
                />
              </section>
            );
          const counted = COUNT_TILES.find(([c]) => c === tile);
          return counted ? count(counted[0], data.counts[counted[0]] ?? 0, counted[1]) : null;
        })}
      </div>
    </>
  );
}

/** Arrange: show, hide, move and size the role's tiles (a form per change). */
const ArrangePanel = memo(function ArrangePanel({ layout, allowed, errors }: { layout: Layout; allowed: readonly Tile[]; errors?: FieldError[] }) {
  const { t } = useTranslation();
  const { tiles, sizes } = layout;
  return (
    <section className="card arrange" data-testid="arrange-panel">
      <h2>{t('dashboard.arrange.title')}</h2>
      {errors?.length ? (
        <p className="field-error" role="alert">
          {t(errors.some((e) => e.field === 'size') ? 'dashboard.arrange.sizeRefused' : 'dashboard.arrange.refused')}
        </p>
      ) : null}
      <ul>
        {[...tiles, ...allowed.filter((x) => !tiles.includes(x))].map((tile) => {
          const shown = tiles.includes(tile);
          return (
            <li key={tile} data-testid={`arrange-${tile}`} className={shown ? '' : 'muted'}>
              <span>{t(`dashboard.tiles.${tile}`)}</span>
              <Form method="post" className="inline">
                <CsrfInput />
                <input type="hidden" name="tile" value={tile} />
                {shown ? (
                  <>
                    <button
                      type="submit"
                      name="change"
                      value="up"
                      disabled={tiles.indexOf(tile) === 0}
                      aria-label={t('dashboard.arrange.up', { tile: t(`dashboard.tiles.${tile}`) })}
                    >
                      ↑
                    </button>
                    <button
                      type="submit"
                      name="change"
                      value="down"
                      disabled={tiles.indexOf(tile) === tiles.length - 1}
                      aria-label={t('dashboard.arrange.down', { tile: t(`dashboard.tiles.${tile}`) })}
                    >
                      ↓
                    </button>
                    <button type="submit" name="change" value="hide">
                      {t('dashboard.arrange.hide')}
                    </button>
                  </>
                ) : (
                  <button type="submit" name="change" value="show">
                    {t('dashboard.arrange.show')}
                  </button>
                )}
              </Form>
              {shown ? (
                <Form method="post" className="inline">
                  <CsrfInput />
                  <input type="hidden" name="tile" value={tile} />
                  <input type="hidden" name="change" value="resize" />
                  <span className="segmented" role="group" aria-label={t('dashboard.arrange.sizeOf', { tile: t(`dashboard.tiles.${tile}`) })}>
                    {TILE_SIZES.slice(TILE_SIZES.indexOf(smallestSize(tile))).map((size) => (
                      <button
                        key={size}
                        type="submit"
                        name="size"
                        value={size}
                        aria-pressed={sizes[tile] === size}
                        title={t(`dashboard.arrange.sizes.${size}`)}
                      >
                        {t(`dashboard.arrange.sizes.${size}`)}
                      </button>
                    ))}
                  </span>
                </Form>
              ) : null}
            </li>
          );
        })}
      </ul>
      <Form method="post" className="inline">
        <CsrfInput />
        <button type="submit" name="change" value="reset">
          {t('dashboard.arrange.reset')}
        </button>
      </Form>
    </section>
  );
});

/** Warnings with a suggestion, each linking to what it is about. */
const Warnings = memo(function Warnings({ warnings, locale }: { warnings: Awaited<ReturnType<typeof warningsOf>>; locale: Locale }) {
  const { t } = useTranslation();
  const num = (n: number) => formatNumber(n, locale);
  return (
    <section className="card warnings" data-testid="warnings">
      <h2>{t('dashboard.warnings.title')}</h2>
      <ul>
        {warnings.map((w) =>
          w.kind === 'stockout' ? (
            <li key={`${w.sku}-${w.warehouse}`} data-testid="warning-stockout">
              <Link to={w.link}>
                {t('dashboard.warnings.stockout', {
                  sku: w.sku,
                  warehouse: w.warehouse,
                  days: num(w.daysLeft),
                  available: num(w.available),
                  perDay: num(w.perDay),
                })}
              </Link>{' '}
              <span className="muted">
                {w.inbound
                  ? `${t('dashboard.warnings.inbound', { po: w.inbound.number, inDays: num(w.inbound.inDays) })}${w.spareAt ? ` ${t('dashboard.warnings.spare', { warehouse: w.spareAt.warehouse, available: num(w.spareAt.available) })}` : '.'}`
                  : w.spareAt
                    ? t('dashboard.warnings.spareOnly', { warehouse: w.spareAt.warehouse, available: num(w.spareAt.available) })
                    : t('dashboard.warnings.orderMore')}
              </span>
            </li>
          ) : w.kind === 'paymentFailures' ? (
            <li key={`pay-${w.method}`} data-testid="warning-payment-failures">
              <Link to={w.link}>
                {t('opsReports.warnings.paymentFailures', {
                  method: t(`paymentMethods.${w.method}`, { defaultValue: w.method }),
                  now: formatNumber(w.thisWeek, locale, { style: 'percent', maximumFractionDigits: 1 }),
                  before: formatNumber(w.lastWeek, locale, { style: 'percent', maximumFractionDigits: 1 }),
                  failed: num(w.failed),
                  orders: num(w.orders),
                })}
              </Link>{' '}
              <span className="muted">{t('opsReports.warnings.paymentFailuresHint')}</span>
            </li>
          ) : w.kind === 'returnRate' ? (
            <li key={`return-${w.sku}`} data-testid="warning-return-rate">
              <Link to={w.link}>
                {t('opsReports.warnings.returnRate', {
                  sku: w.sku,
                  now: formatNumber(w.thisWeek, locale, { style: 'percent', maximumFractionDigits: 1 }),
                  before: formatNumber(w.lastWeek, locale, { style: 'percent', maximumFractionDigits: 1 }),
                  returned: num(w.returned),
                  sold: num(w.sold),
                })}
              </Link>{' '}
              <span className="muted">{t('opsReports.warnings.returnRateHint')}</span>
            </li>
          ) : (
            <li key={`late-${w.channel}`} data-testid="warning-late">
              <Link to={w.link}>
                {t('dashboard.warnings.lateRate', {
                  channel: w.channel,
                  now: formatNumber(w.thisWeek, locale, { style: 'percent' }),
                  before: formatNumber(w.lastWeek, locale, { style: 'percent' }),
                  shipped: num(w.shipped),
                })}
              </Link>{' '}
              <span className="muted">{t('dashboard.warnings.lateRateHint')}</span>
            </li>
          ),
        )}
      </ul>
    </section>
  );
});

/**
 * Orders per minute over the last hour by channel: one bar per minute, quiet minutes included, stacked by channel.
 * Everything it draws comes in its props (no loader hooks), so it redraws only when they change.
 */
const PerMinuteChart = memo(function PerMinuteChart({
  points,
  channels,
  asOf,
  height,
  locale,
  timeZone,
}: {
  points: { minute: string; channel: string; orders: number }[];
  channels: string[];
  asOf: string;
  height: number;
  locale: Locale;
  timeZone: string;
}) {
  const { t } = useTranslation();
  if (!points.length) return <p className="muted">{t('dashboard.noOrdersLastHour')}</p>;
  const last = Math.floor(Date.parse(asOf) / 60_000) * 60_000;
  const rows = Array.from({ length: 60 }, (_, i) => {
    const minute = new Date(last - (59 - i) * 60_000).toISOString();
    const row: Record<string, string | number> = { minute };
    for (const p of points) if (p.minute === minute) row[p.channel] = p.orders;
    return row;
  });
  return (
    <ResponsiveContainer width="100%" height={height}>
      <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="minute" tickFormatter={(v: string) => formatMinute(v, locale, timeZone)} minTickGap={24} />
        <YAxis allowDecimals={false} width={32} />
        <Tooltip labelFormatter={(v) => formatMinute(String(v), locale, timeZone)} formatter={(v) => formatNumber(Number(v), locale)} />
        <Legend />
        {channels.map((c, i) => (
          <Bar key={c} dataKey={c} name={c} stackId="orders" fill={CHART_COLORS[i % CHART_COLORS.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
});
