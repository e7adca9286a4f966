import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { requireUser } from '../lib/auth.server.ts';
import { useLiveRevalidate, type LiveEvent } from '../lib/live.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { useLocale } from '../components/format.tsx';
import { dashboard, TILES_BY_ROLE, tileLinks, type Tile } from '../modules/analytics/dashboard.server.ts';
import { CHART_COLORS, formatMinute } from '../components/charts.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'dashboards.view');
  const { config } = context;
  const data = await dashboard(context.orm.em.fork(), config.BUSINESS_TIME_ZONE);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: config.BUSINESS_TIME_ZONE }).format(new Date(data.asOf));
  return { data, tiles: TILES_BY_ROLE[user.role], links: tileLinks(day), currency: config.BASE_CURRENCY, timeZone: config.BUSINESS_TIME_ZONE };
}

/** Events after which a figure may have moved: the rollup refreshed, an order, shipment, stock level or run changed. */
const moves = (e: LiveEvent) => e.type !== 'alert.raised';
/** Bursts are gathered into one reload at most every 800 ms: tiles repaint about once a second however busy it is. */
const GATHER_MS = 800;
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
];
const KPI_TILES = [
  { tile: 'revenue', figure: 'revenue', money: true },
  { tile: 'orders', figure: 'orders', money: false },
  { tile: 'aov', figure: 'aov', money: true },
] as const;
const PER_MINUTE: Tile = 'perMinute';

export default function Dashboards() {
  const { data, tiles, links, currency, timeZone } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = useLocale();
  useLiveRevalidate('dashboards', moves, GATHER_MS);
  useLiveRevalidate('orders', moves, GATHER_MS);
  useLiveRevalidate('inventory', moves, GATHER_MS);
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

  // One bar per minute of the last hour, quiet minutes included, stacked by channel.
  const last = Math.floor(Date.parse(data.asOf) / 60_000) * 60_000;
  const perMinute = Array.from({ length: 60 }, (_, i) => {
    const minute = new Date(last - (59 - i) * 60_000).toISOString();
    const row: Record<string, string | number> = { minute };
    for (const p of data.perMinute) if (p.minute === minute) row[p.channel] = p.orders;
    return row;
  });

  const count = (tile: Tile, value: number, tone: 'warn' | 'bad' | 'plain') =>
    show(tile) ? (
      <Link key={tile} to={links[tile]} className={`tile count ${value > 0 ? tone : 'plain'}`} data-testid={`tile-${tile}`}>
        <span className="tile-label">{t(`dashboard.tiles.${tile}`)}</span>
        <span className="tile-value num">{num(value)}</span>
      </Link>
    ) : null;

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.dashboards')}</h1>
        <span className="muted">
          {t('dashboard.asOf', { time: new Intl.DateTimeFormat(locale, { timeStyle: 'medium', timeZone }).format(new Date(data.asOf)), timeZone })}
        </span>
      </div>
      <div className="tiles">
        {KPI_TILES.filter((k) => show(k.tile)).map((k) => {
          const value = (f: typeof data.today) => f[k.figure];
          const format = k.money ? money : num;
          return (
            <Link key={k.tile} to={links[k.tile]} className="tile kpi" data-testid={`tile-${k.tile}`}>
              <span className="tile-label">{t(`dashboard.tiles.${k.tile}`)}</span>
              <span className="tile-value num" data-testid={`${k.tile}-today`}>
                {format(value(data.today))}
              </span>
              {delta(value(data.today), value(data.yesterday), t('dashboard.yesterday'))}
              {delta(value(data.today), value(data.lastWeek), t('dashboard.lastWeek'))}
            </Link>
          );
        })}
        {COUNT_TILES.map(([tile, tone]) => count(tile, data.counts[tile], tone))}
      </div>
      {show(PER_MINUTE) ? (
        <section className="card chart-card" data-testid="tile-perMinute">
          <h2>
            <Link to={links.perMinute}>{t('dashboard.tiles.perMinute')}</Link>
          </h2>
          {data.perMinute.length ? (
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={perMinute} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="minute" tickFormatter={(v: string) => formatMinute(v, locale, timeZone)} minTickGap={24} />
                <YAxis allowDecimals={false} width={32} />
                <Tooltip labelFormatter={(v) => formatMinute(String(v), locale, timeZone)} formatter={(v) => num(Number(v))} />
                <Legend />
                {data.channels.map((c, i) => (
                  <Bar key={c} dataKey={c} name={c} stackId="orders" fill={CHART_COLORS[i % CHART_COLORS.length]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          ) : (
            <p className="muted">{t('dashboard.noOrdersLastHour')}</p>
          )}
        </section>
      ) : null}
    </>
  );
}
