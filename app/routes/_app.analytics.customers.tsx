import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { AnalyticsNav } from '../components/analytics-nav.tsx';
import { useQueryWith } from '../components/report-controls.tsx';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { DateOnly, useLocale } from '../components/format.tsx';
import { CHART_COLORS, downloadCsv } from '../components/charts.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { isSegment, SEGMENT_RULES, type ScoreRange, type Segment } from '../modules/analytics/rfm.ts';
import { segmentReport, tagSegment } from '../modules/analytics/rfm.server.ts';
import { cohortReport, CohortQuery } from '../modules/analytics/cohorts.server.ts';
import { todayIn } from '../modules/analytics/range.ts';
import { CohortSections } from '../components/cohorts.tsx';
import { MAX_TAG_LENGTH, MAX_TAGS } from '../modules/customers/tags.ts';

/** Customers of a segment listed on the page; the CSV has them all. */
const LISTED = 200;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'analytics.view');
  const params = new URL(request.url).searchParams;
  const raw = params.get('segment');
  const segment = isSegment(raw) ? raw : null;
  const cohortQuery = CohortQuery.parse(Object.fromEntries(params));
  const [report, cohorts] = await Promise.all([
    segmentReport(context.orm.em.fork(), { base: context.config.BASE_CURRENCY }),
    cohortReport(context.orm.em.fork(), cohortQuery, todayIn(context.config.BUSINESS_TIME_ZONE)),
  ]);
  const { customers, ...summary } = report;
  return {
    ...summary,
    segment,
    members: segment ? customers.filter((c) => c.segment === segment) : [],
    canTag: can(user.role, 'service.manage'),
    cohorts,
    cohortMonths: cohortQuery.months,
  };
}

type ActionData = {
  ok?: { segment: Segment; tag: string; tagged: number; already: number; full: number };
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'service.manage');
  if (!can(user.role, 'analytics.view')) throw forbidden('analytics.view');
  const form = await request.formData();
  assertCsrf(request, form);
  const segment = form.get('segment');
  if (!isSegment(segment)) {
    return data<ActionData>({ errors: [{ field: 'segment', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] }, { status: 422 });
  }
  try {
    const r = await tagSegment(context.orm, segment, form.get('tag') ?? '', userActor(user, context.ip), { base: context.config.BASE_CURRENCY });
    return data<ActionData>({ ok: { segment, tag: r.tag, tagged: r.tagged.length, already: r.already.length, full: r.full.length } });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>(e.errors ? { errors: e.errors } : { error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function CustomerSegments() {
  const { segments, segment, members, canTag, baseCurrency, windowDays, totalCustomers, cohorts, cohortMonths } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const navigate = useNavigate();
  const { t } = useTranslation();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, baseCurrency, locale);
  const num = (n: number) => formatNumber(n, locale);
  const range = ([min, max]: ScoreRange) => (min === 1 && max === 5 ? t('segments.anyScore') : min === max ? String(min) : t('segments.range', { min, max }));
  const chartData = segments.map((s) => ({ ...s, label: t(`segments.name.${s.segment}`) }));
  const tagError = result?.errors?.find((e) => e.field === 'tag');
  const withQuery = useQueryWith();

  const exportCsv = () =>
    segment &&
    downloadCsv(
      `segment-${segment}.csv`,
      members.map((c) => ({
        [t('segments.csv.id')]: c.customerId,
        [t('segments.csv.name')]: c.name,
        [t('segments.csv.email')]: c.email,
        [t('segments.csv.recencyDays')]: c.recencyDays,
        [t('segments.csv.frequency')]: c.frequency,
        [t('segments.csv.monetary', { currency: baseCurrency })]: (c.monetary / 100).toFixed(2),
        [t('segments.csv.r')]: c.r,
        [t('segments.csv.f')]: c.f,
        [t('segments.csv.m')]: c.m,
        [t('segments.csv.lastOrder')]: c.lastOrderAt.slice(0, 10),
      })),
    );

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('segments.title')}</h1>
        <AnalyticsNav />
      </div>
      <p className="muted">{t('segments.intro', { days: windowDays, currency: baseCurrency, count: totalCustomers })}</p>

      {result?.ok ? (
        <Toast testId="tagged">
          {t('segments.tagged', {
            tag: result.ok.tag,
            segment: t(`segments.name.${result.ok.segment}`),
            count: result.ok.tagged,
            already: result.ok.already,
            full: result.ok.full,
          })}
        </Toast>
      ) : null}
      {result?.error || (result?.errors && (!segment || !tagError)) ? (
        <div className="form-error" role="alert" data-testid="tag-error">
          {result.error ? t(`errors.${result.error.code}`, result.error.params) : t('errors.validation_failed')}
          {result.errors?.map((e) => (
            <div key={e.field}>{t(e.messageKey, e.params)}</div>
          ))}
        </div>
      ) : null}

      <section className="card chart-card">
        <h2>{t('segments.sizes')}</h2>
        <p className="muted">{t('segments.drillHint')}</p>
        <div data-testid="segments-chart">
          <ResponsiveContainer width="100%" height={260}>
            <BarChart
              data={chartData}
              margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
              onClick={(e) => {
                const index = typeof e?.activeTooltipIndex === 'number' ? e.activeTooltipIndex : Number(e?.activeTooltipIndex);
                const s = Number.isInteger(index) ? chartData[index] : undefined;
                if (s) navigate(withQuery({ segment: s.segment }));
              }}
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" interval={0} tick={{ fontSize: 11 }} />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip formatter={(v) => [num(Number(v)), t('segments.columns.customers')]} />
              <Bar dataKey="customers" name={t('segments.columns.customers')} isAnimationActive={false} cursor="pointer">
                {chartData.map((s) => (
                  <Cell key={s.segment} fill={s.segment === segment ? CHART_COLORS[1] : CHART_COLORS[0]} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="segments-table">
            <thead>
              <tr>
                <th>{t('segments.columns.segment')}</th>
                <th>{t('segments.columns.rule')}</th>
                <th className="num">{t('segments.columns.customers')}</th>
                <th className="num">{t('segments.columns.revenue')}</th>
                <th className="num">{t('segments.columns.averageOrder')}</th>
              </tr>
            </thead>
            <tbody>
              {segments.map((s) => {
                const rule = SEGMENT_RULES.find((r) => r.segment === s.segment)!;
                return (
                  <tr key={s.segment} className={s.segment === segment ? 'selected' : ''} data-testid="segment-row" data-segment={s.segment}>
                    <td>
                      <Link to={withQuery({ segment: s.segment })} preventScrollReset>
                        {t(`segments.name.${s.segment}`)}
                      </Link>
                      <div className="muted small">{t(`segments.describe.${s.segment}`)}</div>
                    </td>
                    <td className="small">{t('segments.ruleText', { r: range(rule.r), f: range(rule.f), m: range(rule.m) })}</td>
                    <td className="num" data-testid="segment-customers">
                      {num(s.customers)}
                    </td>
                    <td className="num">{money(s.revenue)}</td>
                    <td className="num">{s.orders ? money(s.averageOrder) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <p className="muted small">{t('segments.rulesNote')}</p>
      </section>

      {segment ? (
        <section className="card" data-testid="segment-members">
          <div className="card-head">
            <h2>{t('segments.membersTitle', { segment: t(`segments.name.${segment}`), count: members.length })}</h2>
            <div className="actions">
              <button type="button" onClick={exportCsv} disabled={!members.length} data-testid="export-segment">
                {t('segments.exportCsv')}
              </button>
            </div>
          </div>
          {canTag ? (
            <Form method="post" className="filters" data-testid="tag-segment-form">
              <CsrfInput />
              <input type="hidden" name="segment" value={segment} />
              <label className="field">
                <span>{t('segments.tagLabel')}</span>
                <input
                  name="tag"
                  required
                  maxLength={MAX_TAG_LENGTH * 2}
                  placeholder={t('segments.tagPlaceholder')}
                  aria-invalid={!!tagError}
                  data-testid="segment-tag"
                />
                <span className="muted small">{t('segments.tagHint', { max: MAX_TAG_LENGTH, maxTags: MAX_TAGS })}</span>
                <FieldErrorText error={tagError} />
              </label>
              <button type="submit" className="primary" disabled={!members.length || navigation.state !== 'idle'} data-testid="tag-segment">
                {t('segments.tagSubmit', { count: members.length })}
              </button>
            </Form>
          ) : null}
          {members.length ? (
            <div className="table-wrap" tabIndex={0}>
              <table className="data-table" data-testid="segment-customers-table">
                <thead>
                  <tr>
                    <th>{t('segments.columns.name')}</th>
                    <th>{t('segments.columns.email')}</th>
                    <th className="num" title={t('segments.columns.rTitle')}>
                      {t('segments.columns.r')}
                    </th>
                    <th className="num" title={t('segments.columns.fTitle')}>
                      {t('segments.columns.f')}
                    </th>
                    <th className="num" title={t('segments.columns.mTitle')}>
                      {t('segments.columns.m')}
                    </th>
                    <th>{t('segments.columns.lastOrder')}</th>
                    <th className="num">{t('segments.columns.revenue')}</th>
                  </tr>
                </thead>
                <tbody>
                  {members.slice(0, LISTED).map((c) => (
                    <tr key={c.customerId} data-testid="segment-customer" data-customer={c.customerId}>
                      <td>
                        <Link to={`/customers/${c.customerId}`}>{c.name}</Link>
                      </td>
                      <td>{c.email}</td>
                      <td className="num" title={t('segments.daysAgo', { count: c.recencyDays })}>
                        {c.r}
                      </td>
                      <td className="num" title={t('segments.ordersCount', { count: c.frequency, days: windowDays })}>
                        {c.f}
                      </td>
                      <td className="num" title={money(c.monetary)}>
                        {c.m}
                      </td>
                      <td>
                        <DateOnly value={c.lastOrderAt} />
                      </td>
                      <td className="num">{money(c.monetary)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {members.length > LISTED ? <p className="muted small">{t('segments.listedOf', { shown: num(LISTED), total: num(members.length) })}</p> : null}
            </div>
          ) : (
            <p className="muted">{t('segments.emptySegment')}</p>
          )}
        </section>
      ) : null}

      <CohortSections report={cohorts} months={cohortMonths} currency={baseCurrency} segment={segment} />
    </>
  );
}
