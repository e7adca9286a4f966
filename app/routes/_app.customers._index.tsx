import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { z } from 'zod';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { customerTags, listCustomers, parseCustomerFilters } from '../modules/customers/queries.server.ts';
import { recomputeAllTiers } from '../modules/customers/service.server.ts';
import { TIERS } from '../modules/customers/tiers.ts';
import { Pager } from '../components/pager.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { TagList, TierBadge } from '../components/customer.tsx';
import { DateTime, Money } from '../components/format.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'service.view');
  const em = context.orm.em.fork();
  const filters = parseCustomerFilters(new URL(request.url).searchParams);
  const [result, tags] = await Promise.all([listCustomers(em, filters, context.config.BASE_CURRENCY), customerTags(em)]);
  return { ...result, filters, tags, canRecomputeAll: can(user.role, 'settings.manage') };
}

const RecomputeAll = z.object({ intent: z.literal('recompute-all') });
type ActionData = { recomputed?: { checked: number; changed: number }; errors?: FieldError[] };

/** Applies the tier rules to the whole customer base (admins: it touches every customer). */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = RecomputeAll.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const recomputed = await recomputeAllTiers(context.orm, userActor(user, context.ip), { base: context.config.BASE_CURRENCY });
  return data<ActionData>({ recomputed });
}

export default function Customers() {
  const { rows, total, page, pages, filters, tags, baseCurrency, canRecomputeAll } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const locale = useRootData()?.locale ?? 'en';

  const link = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v === null) next.delete(k);
      else next.set(k, v);
    return `?${next}`;
  };
  const SortHeader = ({ sort, label, className }: { sort: string; label: string; className?: string }) => (
    <th className={className} aria-sort={filters.sort === sort ? (filters.dir === 'desc' ? 'descending' : 'ascending') : undefined}>
      <Link
        to={link({ sort, dir: filters.sort === sort ? (filters.dir === 'desc' ? 'asc' : 'desc') : sort === 'name' ? 'asc' : 'desc', page: null })}
        data-testid={`sort-${sort}`}
      >
        {label}
        {filters.sort === sort ? <span aria-hidden="true" className={`sort-${filters.dir}`} /> : null}
      </Link>
    </th>
  );

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('nav.customers')}</h1>
        {canRecomputeAll ? (
          <Form method="post" className="inline-actions">
            <CsrfInput />
            <button type="submit" name="intent" value="recompute-all" disabled={navigation.state !== 'idle'} data-testid="recompute-all">
              {t('customers.recomputeAll')}
            </button>
          </Form>
        ) : null}
      </div>
      {result?.recomputed ? (
        <Toast testId="recompute-result">{t('customers.recomputedAll', { count: result.recomputed.checked, changed: result.recomputed.changed })}</Toast>
      ) : null}
      <Form method="get" className="filters" data-testid="customer-filters">
        <label className="field grow">
          <span>{t('customers.filters.search')}</span>
          <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder={t('customers.filters.searchHint')} data-testid="customer-search" />
        </label>
        <label className="field">
          <span>{t('customers.filters.tier')}</span>
          <select name="tier" defaultValue={filters.tier ?? ''}>
            <option value="">{t('common.all')}</option>
            {TIERS.map((tier) => (
              <option key={tier} value={tier}>
                {t(`tiers.${tier}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('customers.filters.tag')}</span>
          <select name="tag" defaultValue={filters.tag ?? ''}>
            <option value="">{t('common.all')}</option>
            {filters.tag && !tags.includes(filters.tag) ? <option value={filters.tag}>{filters.tag}</option> : null}
            {tags.map((tag) => (
              <option key={tag} value={tag}>
                {tag}
              </option>
            ))}
          </select>
        </label>
        <input type="hidden" name="sort" value={filters.sort} />
        <input type="hidden" name="dir" value={filters.dir} />
        <button type="submit">{t('common.filter')}</button>
      </Form>

      <p className="muted">
        {t('common.resultCount', { count: total })} · {t('customers.ltvNote', { currency: baseCurrency })}
      </p>
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="customers-table">
          <thead>
            <tr>
              <SortHeader sort="name" label={t('customers.columns.customer')} />
              <th>{t('customers.columns.phone')}</th>
              <th>{t('customers.columns.tier')}</th>
              <th>{t('customers.columns.tags')}</th>
              <SortHeader sort="orders" label={t('customers.columns.orders')} className="num" />
              <SortHeader sort="ltv" label={t('customers.columns.ltv')} className="num" />
              <SortHeader sort="last_order" label={t('customers.columns.lastOrder')} />
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-testid="customer-row">
                <td>
                  <Link to={`/customers/${c.id}`}>{c.name}</Link>
                  <div className="muted small">{c.email}</div>
                </td>
                <td>{c.phone ?? '—'}</td>
                <td>
                  <TierBadge tier={c.tier} />
                </td>
                <td>
                  <TagList tags={c.tags} />
                </td>
                <td className="num">{c.ordersCount.toLocaleString(locale)}</td>
                <td className="num">
                  <Money minor={c.ltv} currency={baseCurrency} />
                </td>
                <td>{c.lastOrderAt ? <DateTime value={c.lastOrderAt} /> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 ? <p className="empty-state">{t('customers.none')}</p> : null}
      <Pager page={page} pages={pages} />
    </>
  );
}
