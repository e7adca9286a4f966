import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { formatDateTime, formatNumber } from '../lib/format.ts';
import type { FieldError } from '../lib/problem.ts';
import { redeliver } from '../modules/webhooks/deliveries.server.ts';
import { getEndpoint, listDeliveries } from '../modules/webhooks/endpoints.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { useRootData } from '../root.tsx';

const endpointId = (raw: string | undefined): number => {
  if (!raw || !/^\d{1,9}$/.test(raw)) throw new Response(null, { status: 404 });
  return Number(raw);
};

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.manage');
  const id = endpointId(params.id);
  const em = context.orm.em.fork();
  const endpoint = await getEndpoint(em, id);
  if (!endpoint) throw new Response(null, { status: 404 });
  return { endpoint, deliveries: await listDeliveries(em, id) };
}

type ActionData = { redelivered?: number; errors?: FieldError[] };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const id = endpointId(params.id);
  const form = await request.formData();
  assertCsrf(request, form);
  const deliveryText = String(form.get('delivery') ?? '');
  if (form.get('intent') !== 'redeliver' || !/^\d{1,15}$/.test(deliveryText))
    return data<ActionData>({ errors: [{ field: 'delivery', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] }, { status: 422 });
  const em = context.orm.em.fork();
  const owned = (await listDeliveries(em, id, 1000)).some((d) => d.id === Number(deliveryText));
  if (!owned) return data<ActionData>({ errors: [{ field: 'delivery', code: 'not_found', messageKey: 'errors.not_found' }] }, { status: 404 });
  try {
    const r = await redeliver(context.orm, Number(deliveryText), userActor(user, context.ip));
    return data<ActionData>({ redelivered: r.id });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ errors: [{ field: 'delivery', code: e.code, messageKey: `errors.${e.code}` }] }, { status: e.status });
  }
}

export default function WebhookDeliveries() {
  const { endpoint, deliveries } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const locale = useRootData()?.locale ?? 'en';
  return (
    <>
      <p>
        <Link to="/settings/webhooks">{t('webhooks.back')}</Link>
      </p>
      <h1 className="page-title wrap">{t('webhooks.logTitle', { url: endpoint.url })}</h1>
      <p className="muted">{endpoint.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}</p>
      {result?.errors?.map((e) => (
        <p key={e.field} className="form-error" role="alert">
          {t(e.messageKey, e.params)}
        </p>
      ))}
      {result?.redelivered ? <Toast testId="webhook-redelivered">{t('webhooks.redelivered', { id: result.redelivered })}</Toast> : null}
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th>{t('webhooks.delivery')}</th>
              <th>{t('webhooks.status')}</th>
              <th>{t('webhooks.attempts')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td className="wrap">
                  <code>{d.eventType}</code>
                  <div className="muted small">
                    {`#${d.id}`} · {formatDateTime(d.createdAt, locale)}
                  </div>
                </td>
                <td>
                  {t(`webhooks.deliveryStatuses.${d.status}`)}
                  {d.lastStatusCode ? <div className="muted small">{t('webhooks.code', { code: d.lastStatusCode })}</div> : null}
                </td>
                <td className="wrap">
                  <ol className="address-list">
                    {d.tries.map((a) => (
                      <li key={a.attempt}>
                        {a.ok ? t('webhooks.attemptOk') : t('webhooks.attemptFailed')} · {formatDateTime(a.at, locale)} ·{' '}
                        {t('webhooks.latency', { ms: formatNumber(a.latencyMs, locale) })}
                        {a.statusCode ? ` · ${t('webhooks.code', { code: a.statusCode })}` : null}
                        {a.error ? <div className="muted small">{a.error}</div> : null}
                        {a.excerpt ? (
                          <pre className="excerpt small">
                            <code>{a.excerpt}</code>
                          </pre>
                        ) : null}
                      </li>
                    ))}
                  </ol>
                </td>
                <td>
                  <Form method="post" className="inline">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="redeliver" />
                    <input type="hidden" name="delivery" value={d.id} />
                    <button type="submit" data-testid="webhook-redeliver">
                      {t('webhooks.redeliver')}
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {deliveries.length ? null : <p className="muted">{t('webhooks.noDeliveries')}</p>}
    </>
  );
}
