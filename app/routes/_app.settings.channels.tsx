import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CHANNEL_KINDS } from '../../entities/constants.ts';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatNumber } from '../lib/format.ts';
import { getChannel, listChannels, rotateWebhookSecret, saveChannel } from '../modules/settings/channels.server.ts';
import { CHANNEL_ADAPTERS } from '../modules/settings/form.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const url = new URL(request.url);
  const em = context.orm.em.fork();
  const code = url.searchParams.get('code');
  const channels = await listChannels(em);
  const selected = code ? await getChannel(em, code) : null;
  if (code && !selected) throw new Response(null, { status: 404 });
  return { channels, selected, canManage: can(user.role, 'settings.manage'), base: context.config.BASE_CURRENCY };
}

type ActionData = { intent?: string; errors?: FieldError[]; rotated?: { code: string; secret: string; fingerprint: string } };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const actor = userActor(user, context.ip);
  const intent = form.get('intent');
  const code = String(form.get('channel') ?? '');
  const text = (key: string) => {
    const v = form.get(key);
    return typeof v === 'string' ? v : undefined;
  };
  try {
    if (intent === 'save') {
      const raw = { name: text('name'), kind: text('kind'), currencies: text('currencies'), adapter: text('adapter'), active: form.get('active') === 'on' };
      const r = await saveChannel(context.orm, code, raw, actor, context.config.BASE_CURRENCY);
      return redirect(`/settings/channels?code=${encodeURIComponent(code)}&done=${r.changed.length ? 'saved' : 'unchanged'}`);
    }
    if (intent === 'rotate') {
      // Shown in this response only: the secret is not in any URL, log or audit event.
      return data<ActionData>({ intent, rotated: await rotateWebhookSecret(context.orm, code, actor) });
    }
    return data<ActionData>({ errors: [{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] }, { status: 422 });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.status === 404) throw new Response(null, { status: 404 });
    return data<ActionData>({ intent: String(intent), errors: e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] }, { status: e.status });
  }
}

export default function Channels() {
  const { channels, selected, canManage, base } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const locale = useRootData()?.locale ?? 'en';
  const done = params.get('done');
  const err = (field: string) => (result?.intent === 'save' ? result.errors?.find((e) => e.field === field) : undefined);
  const busy = navigation.state !== 'idle';
  // Errors of fields the edit form shows beside them; any other (or with no form open) above it.
  const unplaced = result?.errors?.filter((e) => !(selected && result.intent === 'save' && ['name', 'kind', 'currencies', 'adapter', 'active'].includes(e.field))) ?? [];

  return (
    <>
      <h1 className="page-title">{t('channelSettings.title')}</h1>
      <p className="muted">{t('channelSettings.intro')}</p>
      {unplaced.map((e) => <p key={e.field} className="form-error" role="alert">{t(e.messageKey, e.params)}</p>)}
      {done && selected ? (
        <p className="notice success" role="status" data-testid="channel-saved">{t(done === 'saved' ? 'channelSettings.done.saved' : 'channelSettings.done.unchanged', { name: selected.name })}</p>
      ) : null}
      {result?.rotated ? (
        <div className="notice success" role="status" data-testid="channel-secret">
          <p>{t('channelSettings.rotatedOnce', { code: result.rotated.code })}</p>
          <code className="secret">{result.rotated.secret}</code>
        </div>
      ) : null}

      <div className="table-wrap">
        <table className="data-table" data-testid="channels-table">
          <thead>
            <tr>
              <th>{t('channelSettings.name')}</th><th>{t('channelSettings.code')}</th><th>{t('channelSettings.kind')}</th><th>{t('channelSettings.currencies')}</th>
              <th>{t('channelSettings.webhooks')}</th><th className="num">{t('channelSettings.orders')}</th><th />
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => (
              <tr key={c.code} data-testid="channel-row" data-code={c.code}>
                <td>{c.name}{c.active ? null : <span className="badge">{t('channelSettings.inactive')}</span>}</td>
                <td><code>{c.code}</code></td>
                <td>{t(`channelSettings.kinds.${c.kind}`)}</td>
                <td>{c.currencies.join(', ')}</td>
                <td>
                  {c.adapter ? t(`channelSettings.adapters.${c.adapter}`) : <span className="muted">{t('channelSettings.noAdapter')}</span>}
                  {c.adapter ? <div className="muted small">{c.secretFingerprint ? t('channelSettings.secretSet', { fingerprint: c.secretFingerprint }) : t('channelSettings.noSecret')}</div> : null}
                </td>
                <td className="num">{formatNumber(c.orders, locale)}</td>
                <td><Link to={`?code=${encodeURIComponent(c.code)}`}>{canManage ? t('channelSettings.edit') : t('channelSettings.view')}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {selected ? (
        <section className="card spaced" data-testid="channel-form-card">
          <h2>{t('channelSettings.editTitle', { name: selected.name })}</h2>
          <Form method="post" key={JSON.stringify(selected)} data-testid="channel-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="save" />
            <input type="hidden" name="channel" value={selected.code} />
            <fieldset className="plain" disabled={!canManage}>
              <div className="form-grid">
                <label className="field"><span>{t('channelSettings.name')}</span>
                  <input name="name" required maxLength={100} defaultValue={selected.name} /><FieldErrorText error={err('name')} /></label>
                <label className="field"><span>{t('channelSettings.kind')}</span>
                  <select name="kind" defaultValue={selected.kind}>{CHANNEL_KINDS.map((k) => <option key={k} value={k}>{t(`channelSettings.kinds.${k}`)}</option>)}</select>
                  <FieldErrorText error={err('kind')} /></label>
                <label className="field"><span>{t('channelSettings.currencies')}</span>
                  <input name="currencies" required defaultValue={selected.currencies.join(', ')} placeholder={t('channelSettings.currenciesHint')} autoCapitalize="characters" />
                  <span className="muted small">{t('channelSettings.currenciesNote', { base })}</span>
                  <FieldErrorText error={err('currencies')} /></label>
                <label className="field"><span>{t('channelSettings.adapter')}</span>
                  <select name="adapter" defaultValue={selected.adapter ?? ''}>
                    <option value="">{t('channelSettings.noAdapter')}</option>
                    {CHANNEL_ADAPTERS.map((a) => <option key={a} value={a}>{t(`channelSettings.adapters.${a}`)}</option>)}
                  </select>
                  <FieldErrorText error={err('adapter')} /></label>
              </div>
              <label className="inline-actions">
                <input type="checkbox" name="active" defaultChecked={selected.active} />
                <span>{t('channelSettings.active')}</span>
              </label>
              <p className="muted small">{t('channelSettings.activeHint')}</p>
              <FieldErrorText error={err('active')} />
              {canManage ? (
                <div className="inline-actions spaced">
                  <button type="submit" className="primary" disabled={busy}>{t('channelSettings.save')}</button>
                  <Link to="/settings/channels">{t('channelSettings.cancel')}</Link>
                </div>
              ) : null}
            </fieldset>
          </Form>
        </section>
      ) : null}

      {selected ? (
        <section className="card" data-testid="channel-webhook-card">
          <h2>{t('channelSettings.webhookTitle')}</h2>
          <p className="muted">{t('channelSettings.webhookIntro', { path: `/api/v1/channels/${selected.id}/webhooks` })}</p>
          <p>{selected.secretFingerprint ? t('channelSettings.secretSet', { fingerprint: selected.secretFingerprint }) : t('channelSettings.noSecret')}</p>
          {canManage ? (
            <Form method="post" data-testid="channel-rotate">
              <CsrfInput />
              <input type="hidden" name="intent" value="rotate" />
              <input type="hidden" name="channel" value={selected.code} />
              <button type="submit" className="danger" disabled={busy}>{selected.secretFingerprint ? t('channelSettings.rotate') : t('channelSettings.generate')}</button>
              <p className="muted small">{t('channelSettings.rotateHint')}</p>
            </Form>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
