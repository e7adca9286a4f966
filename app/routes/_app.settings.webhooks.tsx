import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { formatDateTime } from '../lib/format.ts';
import type { FieldError } from '../lib/problem.ts';
import { WEBHOOK_EVENT_TYPES } from '../modules/webhooks/events.ts';
import {
  allowHost,
  createEndpoint,
  deleteEndpoint,
  disallowHost,
  endpointFromForm,
  listAllowedHosts,
  listEndpoints,
  rotateSecret,
  setEndpointEnabled,
} from '../modules/webhooks/endpoints.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.manage');
  const em = context.orm.em.fork();
  return { endpoints: await listEndpoints(em), hosts: await listAllowedHosts(em) };
}

type ActionData = { intent: string; secret?: string; endpointId?: number; errors?: FieldError[] };

const INTENTS = ['create', 'rotate', 'enable', 'disable', 'delete', 'allowHost', 'disallowHost'] as const;
const ENDPOINT_INTENTS: readonly string[] = ['rotate', 'enable', 'disable', 'delete'];
const refused = (intent: string, errors: FieldError[], status = 422) => data<ActionData>({ intent, errors }, { status });

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const actor = userActor(user, context.ip);
  const intent = String(form.get('intent') ?? '');
  if (!(INTENTS as readonly string[]).includes(intent))
    return refused(intent, [{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }]);
  const idText = String(form.get('id') ?? '');
  const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
  if (ENDPOINT_INTENTS.includes(intent) && id === null)
    return refused(intent, [{ field: 'id', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }]);
  try {
    switch (intent) {
      case 'create': {
        const r = await createEndpoint(context.orm, endpointFromForm(form), actor);
        return data<ActionData>({ intent, secret: r.secret, endpointId: r.endpoint.id });
      }
      case 'rotate': {
        const r = await rotateSecret(context.orm, id!, actor);
        return data<ActionData>({ intent, secret: r.secret, endpointId: id! });
      }
      case 'enable':
      case 'disable':
        await setEndpointEnabled(context.orm, id!, intent === 'enable', actor);
        return data<ActionData>({ intent, endpointId: id! });
      case 'delete':
        await deleteEndpoint(context.orm, id!, actor);
        return data<ActionData>({ intent });
      case 'allowHost':
        await allowHost(context.orm, { host: form.get('host') ?? undefined }, actor);
        return data<ActionData>({ intent });
      default:
        await disallowHost(context.orm, form.get('host'), actor);
        return data<ActionData>({ intent });
    }
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return refused(intent, e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }], e.status);
  }
}

export default function Webhooks() {
  const { endpoints, hosts } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const locale = useRootData()?.locale ?? 'en';
  const err = (intent: string, f: string) => (result?.intent === intent ? result.errors?.find((e) => e.field === f) : undefined);
  const general = result?.errors?.filter((e) => !['url', 'description', 'eventTypes', 'host'].includes(e.field)) ?? [];
  return (
    <>
      <h1 className="page-title">{t('webhooks.title')}</h1>
      <p className="muted">{t('webhooks.intro')}</p>
      {general.map((e) => (
        <p key={e.field} className="form-error" role="alert">
          {t(e.messageKey, e.params)}
        </p>
      ))}
      {result?.secret ? (
        <div className="notice success" role="status" data-testid="webhook-secret">
          <p>{result.intent === 'rotate' ? t('webhooks.rotatedOnce') : t('webhooks.createdOnce')}</p>
          <code className="secret">{result.secret}</code>
        </div>
      ) : null}

      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="webhooks-table">
          <thead>
            <tr>
              <th>{t('webhooks.url')}</th>
              <th>{t('webhooks.events')}</th>
              <th>{t('webhooks.status')}</th>
              <th className="num">{t('webhooks.deliveries')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {endpoints.map((ep) => (
              <tr key={ep.id} data-testid="webhook-row">
                <td className="wrap">
                  <Link to={`/settings/webhooks/${ep.id}`}>{ep.url}</Link>
                  {ep.description ? <div className="muted small">{ep.description}</div> : null}
                  <div className="muted small">{formatDateTime(ep.createdAt, locale)}</div>
                </td>
                <td className="wrap">{ep.eventTypes.map((e) => t(`webhooks.eventTypes.${e}`)).join(', ')}</td>
                <td>
                  {ep.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}
                  {ep.disabledReason ? <div className="muted small">{t(`webhooks.disabledReasons.${ep.disabledReason}`)}</div> : null}
                  {ep.rotatedUntil ? <div className="muted small">{t('webhooks.rotatedUntil', { at: formatDateTime(ep.rotatedUntil, locale) })}</div> : null}
                </td>
                <td className="num">
                  {ep.deliveries}
                  {ep.failed ? <div className="muted small">{t('webhooks.failedCount', { count: ep.failed })}</div> : null}
                </td>
                <td>
                  <div className="actions">
                    <EndpointButton id={ep.id} intent="rotate" label={t('webhooks.rotate')} />
                    <EndpointButton id={ep.id} intent={ep.enabled ? 'disable' : 'enable'} label={ep.enabled ? t('webhooks.disable') : t('webhooks.enable')} />
                    <EndpointButton id={ep.id} intent="delete" label={t('webhooks.delete')} danger />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {endpoints.length ? null : <p className="muted">{t('webhooks.none')}</p>}

      <section className="card">
        <h2>{t('webhooks.newTitle')}</h2>
        <Form method="post" data-testid="webhook-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <label className="field">
            <span>{t('webhooks.url')}</span>
            <input name="url" type="url" inputMode="url" maxLength={2048} required />
            <FieldErrorText error={err('create', 'url')} />
          </label>
          <label className="field">
            <span>{t('webhooks.description')}</span>
            <input name="description" maxLength={200} />
            <FieldErrorText error={err('create', 'description')} />
          </label>
          <fieldset className="field">
            <legend>{t('webhooks.events')}</legend>
            <div className="levels">
              {WEBHOOK_EVENT_TYPES.map((e) => (
                <label key={e}>
                  <input type="checkbox" name="eventTypes" value={e} /> {t(`webhooks.eventTypes.${e}`)}
                </label>
              ))}
            </div>
            <FieldErrorText error={err('create', 'eventTypes')} />
          </fieldset>
          <button type="submit" className="primary">
            {t('webhooks.create')}
          </button>
        </Form>
      </section>

      <section className="card">
        <h2>{t('webhooks.hostsTitle')}</h2>
        <p className="muted">{t('webhooks.hostsIntro')}</p>
        <ul className="address-list" data-testid="webhook-hosts">
          {hosts.map((h) => (
            <li key={h}>
              <code>{h}</code>{' '}
              <Form method="post" className="inline">
                <CsrfInput />
                <input type="hidden" name="intent" value="disallowHost" />
                <input type="hidden" name="host" value={h} />
                <button type="submit" className="link-button">
                  {t('webhooks.removeHost')}
                </button>
              </Form>
            </li>
          ))}
        </ul>
        <Form method="post" className="filters">
          <CsrfInput />
          <input type="hidden" name="intent" value="allowHost" />
          <label className="field">
            <span>{t('webhooks.host')}</span>
            <input name="host" maxLength={253} required />
            <FieldErrorText error={err('allowHost', 'host')} />
          </label>
          <button type="submit">{t('webhooks.addHost')}</button>
        </Form>
      </section>
    </>
  );
}

function EndpointButton({ id, intent, label, danger }: { id: number; intent: string; label: string; danger?: boolean }) {
  return (
    <Form method="post" className="inline">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="id" value={id} />
      <button type="submit" className={danger ? 'danger' : undefined} data-testid={`webhook-${intent}`}>
        {label}
      </button>
    </Form>
  );
}
