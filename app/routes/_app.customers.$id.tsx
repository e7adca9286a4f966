import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { routeId } from '../lib/ids.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { getCustomer } from '../modules/customers/queries.server.ts';
import { AFFINITY_WINDOW_DAYS, recommendationsFor } from '../modules/analytics/affinity.server.ts';
import { recomputeTierNow, updateProfile, updateTags } from '../modules/customers/service.server.ts';
import { MAX_TAG_LENGTH, MAX_TAGS, splitTags } from '../modules/customers/tags.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { TagList, TierBadge } from '../components/customer.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { DateOnly, DateTime, Money, StatusBadge } from '../components/format.tsx';
import { LOCALES } from '../lib/i18n.ts';
import { useRootData } from '../root.tsx';

/** Products the "recommended" card lists. */
const RECOMMENDED = 5;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'service.view');
  const page = Number(new URL(request.url).searchParams.get('page')) || 1;
  const id = routeId(params.id, 'customer');
  const [customer, recommended] = await Promise.all([
    getCustomer(context.orm.em.fork(), id, { base: context.config.BASE_CURRENCY, page }),
    recommendationsFor(context.orm.em.fork(), id, RECOMMENDED),
  ]);
  if (!customer) throw new Response(null, { status: 404 });
  return { customer, recommended, affinityDays: AFFINITY_WINDOW_DAYS, canManage: can(user.role, 'service.manage') };
}

const Intent = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('tags'), tags: z.string().max(2_000).default('') }),
  z.object({
    intent: z.literal('profile'),
    name: z.string().max(2_000).default(''),
    phone: z.string().max(2_000).default(''),
    locale: z.string().max(20).default(''),
  }),
  z.object({ intent: z.literal('recompute-tier') }),
]);

type ActionData = { saved?: 'tags' | 'tier' | 'profile'; tier?: { tier: string; previous: string; changed: boolean }; errors?: FieldError[] };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'service.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const id = routeId(params.id, 'customer');
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const actor = userActor(user, context.ip);
  try {
    if (parsed.data.intent === 'profile') {
      const { name, phone, locale } = parsed.data;
      await updateProfile(context.orm, id, { name, phone, locale }, actor);
      return data<ActionData>({ saved: 'profile' });
    }
    if (parsed.data.intent === 'tags') {
      await updateTags(context.orm, id, splitTags(parsed.data.tags), actor);
      return data<ActionData>({ saved: 'tags' });
    }
    const r = await recomputeTierNow(context.orm, id, actor, context.config.BASE_CURRENCY);
    return data<ActionData>({ saved: 'tier', tier: { tier: r.tier, previous: r.previous, changed: r.changed } });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.status === 404) throw new Response(null, { status: 404 });
    return data<ActionData>(
      { errors: e.errors ?? [{ field: e.field ?? '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] },
      { status: e.status },
    );
  }
}

export default function CustomerDetail() {
  const { customer: c, recommended, affinityDays, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const locale = useRootData()?.locale ?? 'en';
  const base = c.baseCurrency;
  const tagErrors = result?.errors?.filter((e) => e.field === 'tags' || e.field.startsWith('tags.')) ?? [];
  const profileError = (field: string) => result?.errors?.find((e) => e.field === field);

  return (
    <>
      <p>
        <Link to="/customers">{t('customers.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title" data-testid="customer-name">
          {c.name} <TierBadge tier={c.tier} />
        </h1>
        {canManage ? (
          <Form method="post" className="inline-actions">
            <CsrfInput />
            <button type="submit" name="intent" value="recompute-tier" disabled={navigation.state !== 'idle'} data-testid="recompute-tier">
              {t('customers.recomputeTier')}
            </button>
          </Form>
        ) : null}
      </div>
      {result?.saved === 'tier' && result.tier ? (
        <div className="notice success" role="status" data-testid="tier-result">
          {result.tier.changed
            ? t('customers.tierChanged', { from: t(`tiers.${result.tier.previous}`), to: t(`tiers.${result.tier.tier}`) })
            : t('customers.tierUnchanged', { tier: t(`tiers.${result.tier.tier}`) })}
        </div>
      ) : null}
      {!result?.saved && c.ruleTier !== c.tier ? (
        <div className="notice warning" data-testid="tier-drift">
          {t('customers.tierDrift', { tier: t(`tiers.${c.ruleTier}`) })}
        </div>
      ) : null}

      <section className="card">
        <h2>{t('customers.kpis.title')}</h2>
        <dl className="kpis" data-testid="customer-kpis">
          <div>
            <dt>{t('customers.kpis.ltv')}</dt>
            <dd data-testid="customer-ltv">
              <Money minor={c.stats.ltv} currency={base} />
            </dd>
          </div>
          <div>
            <dt>{t('customers.kpis.orders')}</dt>
            <dd data-testid="customer-orders-count">{c.stats.ordersCount.toLocaleString(locale)}</dd>
          </div>
          <div>
            <dt>{t('customers.kpis.aov')}</dt>
            <dd>
              <Money minor={c.stats.aov} currency={base} />
            </dd>
          </div>
          <div>
            <dt>{t('customers.kpis.firstOrder')}</dt>
            <dd>{c.stats.firstOrderAt ? <DateOnly value={c.stats.firstOrderAt} /> : '—'}</dd>
          </div>
          <div>
            <dt>{t('customers.kpis.lastOrder')}</dt>
            <dd>{c.stats.lastOrderAt ? <DateOnly value={c.stats.lastOrderAt} /> : '—'}</dd>
          </div>
          <div>
            <dt>{t('customers.kpis.returns')}</dt>
            <dd>{c.stats.returns.toLocaleString(locale)}</dd>
          </div>
        </dl>
        <p className="muted small">{t('customers.kpis.rule', { currency: base })}</p>
      </section>

      <div className="grid-2">
        <section className="card">
          <h2>{t('customers.profile.title')}</h2>
          <dl className="facts">
            <dt>{t('customers.profile.email')}</dt>
            <dd data-testid="customer-email">{c.email}</dd>
            <dt>{t('customers.profile.phone')}</dt>
            <dd>{c.phone ?? '—'}</dd>
            <dt>{t('customers.profile.language')}</dt>
            <dd>{t(`locales.${c.locale}`, { defaultValue: c.locale })}</dd>
            <dt>{t('customers.profile.since')}</dt>
            <dd>
              <DateOnly value={c.createdAt} />
            </dd>
            <dt>{t('customers.profile.tier')}</dt>
            <dd>
              <TierBadge tier={c.tier} />
            </dd>
            <dt>{t('customers.profile.tags')}</dt>
            <dd>{c.tags.length ? <TagList tags={c.tags} /> : <span className="muted">{t('customers.profile.noTags')}</span>}</dd>
          </dl>
          {canManage ? (
            <details className="profile-edit" open={!!profileError('name') || !!profileError('phone') || !!profileError('locale')}>
              <summary>{t('customers.profile.edit')}</summary>
              <Form method="post" className="tag-form" data-testid="profile-form">
                <CsrfInput />
                <input type="hidden" name="intent" value="profile" />
                <label className="field">
                  <span>{t('customers.profile.name')}</span>
                  <input name="name" defaultValue={c.name} required maxLength={200} aria-invalid={!!profileError('name')} data-testid="profile-name" />
                  <FieldErrorText error={profileError('name')} />
                </label>
                <label className="field">
                  <span>{t('customers.profile.phone')}</span>
                  <input
                    name="phone"
                    type="tel"
                    defaultValue={c.phone ?? ''}
                    maxLength={40}
                    aria-invalid={!!profileError('phone')}
                    data-testid="profile-phone"
                  />
                  <FieldErrorText error={profileError('phone')} />
                </label>
                <label className="field">
                  <span>{t('customers.profile.language')}</span>
                  <select name="locale" defaultValue={c.locale} data-testid="profile-locale">
                    {LOCALES.map((l) => (
                      <option key={l} value={l}>
                        {t(`locales.${l}`)}
                      </option>
                    ))}
                  </select>
                  <FieldErrorText error={profileError('locale')} />
                </label>
                <button type="submit" className="primary" disabled={navigation.state !== 'idle'} data-testid="save-profile">
                  {t('customers.profile.save')}
                </button>
                {result?.saved === 'profile' ? (
                  <span role="status" className="muted" data-testid="profile-saved">
                    {t('customers.profile.saved')}
                  </span>
                ) : null}
              </Form>
            </details>
          ) : null}
          {canManage ? (
            <Form method="post" className="tag-form" data-testid="tag-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="tags" />
              <label className="field">
                <span>{t('customers.tags.label')}</span>
                <input
                  key={c.tags.join(',')}
                  name="tags"
                  defaultValue={c.tags.join(', ')}
                  placeholder={t('customers.tags.placeholder')}
                  data-testid="tag-input"
                />
                <span className="muted small">{t('customers.tags.hint', { max: MAX_TAGS, length: MAX_TAG_LENGTH })}</span>
                {tagErrors.map((e) => (
                  <FieldErrorText key={`${e.field}-${e.code}`} error={e} />
                ))}
              </label>
              <button type="submit" className="primary" disabled={navigation.state !== 'idle'} data-testid="save-tags">
                {t('customers.tags.save')}
              </button>
              {result?.saved === 'tags' ? (
                <span role="status" className="muted" data-testid="tags-saved">
                  {t('customers.tags.saved')}
                </span>
              ) : null}
            </Form>
          ) : null}
        </section>
        <section className="card">
          <h2>{t('customers.addresses.title')}</h2>
          {c.addresses.length ? (
            <ul className="address-list" data-testid="customer-addresses">
              {c.addresses.map((a, i) => (
                <li key={i}>{[a.name, a.line1, a.line2, a.city, a.postalCode, a.country].filter(Boolean).join(', ')}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t('customers.addresses.none')}</p>
          )}
        </section>
      </div>

      <section className="card" data-testid="recommended">
        <h2>{t('segments.recommended.title')}</h2>
        <p className="muted small">{t('segments.recommended.note', { days: affinityDays })}</p>
        {recommended.length ? (
          <table className="data-table">
            <thead>
              <tr>
                <th>{t('segments.recommended.sku')}</th>
                <th>{t('segments.recommended.name')}</th>
                <th>{t('segments.recommended.why')}</th>
              </tr>
            </thead>
            <tbody>
              {recommended.map((r) => (
                <tr key={r.productId} data-testid="recommendation" data-sku={r.sku}>
                  <td>
                    <code>{r.sku}</code>
                  </td>
                  <td>{r.name}</td>
                  <td className="muted">{t('segments.recommended.reason', { product: r.because.name, count: r.customers })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">{t('segments.recommended.none')}</p>
        )}
      </section>

      <section className="card">
        <h2>{t('customers.history.title')}</h2>
        {c.history.rows.length ? (
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table" data-testid="customer-orders">
              <thead>
                <tr>
                  <th>{t('orders.columns.number')}</th>
                  <th>{t('orders.columns.placed')}</th>
                  <th>{t('orders.columns.channel')}</th>
                  <th>{t('orders.columns.status')}</th>
                  <th className="num">{t('orders.columns.total')}</th>
                </tr>
              </thead>
              <tbody>
                {c.history.rows.map((o) => (
                  <tr key={o.id} data-testid="customer-order-row">
                    <td>
                      <Link to={`/orders/${o.id}`}>{o.number}</Link>
                    </td>
                    <td>
                      <DateTime value={o.placedAt} />
                    </td>
                    <td>{o.channel}</td>
                    <td>
                      <StatusBadge status={o.status} />
                    </td>
                    <td className="num">
                      <Money minor={o.total} currency={o.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t('customers.history.none')}</p>
        )}
        {c.history.pages > 1 ? <Pager page={c.history.page} pages={c.history.pages} /> : null}
      </section>
    </>
  );
}
