import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { listExchangeRates, saveExchangeRate } from '../modules/settings/exchange-rates.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { formatNumber } from '../lib/format.ts';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const base = context.config.BASE_CURRENCY;
  return { base, rates: await listExchangeRates(context.orm.em.fork(), base), canManage: can(user.role, 'settings.manage') };
}

type ActionData = { saved?: { currency: string; ratePerBase: string; created: boolean }; form?: string; errors?: FieldError[] };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const raw = { currency: form.get('currency') ?? undefined, rate: form.get('rate') ?? undefined };
  const which = String(form.get('form') ?? 'add');
  try {
    const saved = await saveExchangeRate(context.orm, raw, userActor(user, context.ip), context.config.BASE_CURRENCY);
    return data<ActionData>({ saved, form: which });
  } catch (e) {
    if (e instanceof DomainError && e.errors) return data<ActionData>({ errors: e.errors, form: which }, { status: e.status });
    throw e;
  }
}

export default function ExchangeRates() {
  const { base, rates, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const locale = useRootData()?.locale ?? 'en';
  const err = (form: string, field: string) => (result?.form === form ? result.errors?.find((e) => e.field === field) : undefined);
  const rate = (value: string) => formatNumber(Number(value), locale, { maximumFractionDigits: 8 });

  return (
    <>
      <h1 className="page-title">{t('exchangeRates.title')}</h1>
      <p className="muted">{t('exchangeRates.intro', { base })}</p>
      {result?.saved ? (
        <Toast testId="rate-saved">
          {t(result.saved.created ? 'exchangeRates.added' : 'exchangeRates.saved', {
            currency: result.saved.currency,
            rate: rate(result.saved.ratePerBase),
            base,
          })}
        </Toast>
      ) : null}
      {canManage ? (
        <Form method="post" className="filters" data-testid="rate-add-form">
          <CsrfInput />
          <input type="hidden" name="form" value="add" />
          <label className="field">
            <span>{t('exchangeRates.currency')}</span>
            <input name="currency" required maxLength={3} placeholder={t('exchangeRates.currencyHint')} autoCapitalize="characters" />
            <FieldErrorText error={err('add', 'currency')} />
          </label>
          <label className="field">
            <span>{t('exchangeRates.ratePerBase', { base })}</span>
            <input name="rate" required inputMode="decimal" placeholder={t('exchangeRates.rateHint')} />
            <FieldErrorText error={err('add', 'rate')} />
          </label>
          <button type="submit" className="primary" disabled={navigation.state !== 'idle'}>
            {t('exchangeRates.add')}
          </button>
        </Form>
      ) : null}
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="rates-table">
          <thead>
            <tr>
              <th>{t('exchangeRates.currency')}</th>
              <th className="num">{t('exchangeRates.ratePerBase', { base })}</th>
              <th>{t('exchangeRates.updated')}</th>
              {canManage ? <th>{t('exchangeRates.edit')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {rates.map((r) => (
              <tr key={r.currency} data-testid="rate-row" data-currency={r.currency}>
                <td>
                  <code>{r.currency}</code>
                  {r.isBase ? <span className="badge">{t('exchangeRates.base')}</span> : null}
                </td>
                <td className="num">{rate(r.ratePerBase)}</td>
                <td>{r.updatedAt ? <DateTime value={r.updatedAt} /> : '—'}</td>
                {canManage ? (
                  <td>
                    {r.isBase ? (
                      <span className="muted small">{t('exchangeRates.baseFixed')}</span>
                    ) : (
                      <Form method="post" className="inline-actions">
                        <CsrfInput />
                        <input type="hidden" name="form" value={r.currency} />
                        <input type="hidden" name="currency" value={r.currency} />
                        <input
                          name="rate"
                          key={r.ratePerBase}
                          defaultValue={r.ratePerBase}
                          inputMode="decimal"
                          aria-label={t('exchangeRates.rateFor', { currency: r.currency })}
                          className="rate-input"
                        />
                        <button type="submit" disabled={navigation.state !== 'idle'}>
                          {t('exchangeRates.save')}
                        </button>
                        <FieldErrorText error={err(r.currency, 'rate')} />
                      </Form>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
