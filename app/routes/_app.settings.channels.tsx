import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { CHANNEL_KINDS } from '../../entities/constants.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatNumber } from '../lib/format.ts';
import { getChannel, listChannels, rotateWebhookSecret, saveChannel } from '../modules/settings/channels.server.ts';
import { CHANNEL_ADAPTERS, formTexts } from '../modules/settings/form.ts';
import { loadSettingsScreen, readSettingsPost, refusedPost, savedRedirect, unknownIntent } from '../modules/settings/screen.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em, canManage, selected } = await loadSettingsScreen(args, getChannel);
  const channels = await listChannels(em);
  return { channels, selected, canManage, base: args.context.config.BASE_CURRENCY };
}

type ActionData = { intent?: string; errors?: FieldError[]; rotated?: { code: string; secret: string; fingerprint: string } };

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readSettingsPost(args);
  const { intent, channel: code = '' } = formTexts(form, ['intent', 'channel']);
  try {
    if (intent === 'save') {
      const raw = { ...formTexts(form, ['name', 'kind', 'currencies', 'adapter']), active: form.get('active') === 'on' };
      return savedRedirect('/settings/channels', code, await saveChannel(args.context.orm, code, raw, actor, args.context.config.BASE_CURRENCY));
    }
    if (intent === 'rotate') {
      // Shown in this response only: the secret is not in any URL, log or audit event.
      return data<ActionData>({ intent, rotated: await rotateWebhookSecret(args.context.orm, code, actor) });
    }
    return unknownIntent({});
  } catch (e) {
    return refusedPost(e, { intent });
  }
}

export default function Channels() {
  const { channels, selected, canManage, base } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, locale, done, busy } = useSettingsScreen();
  const err = (field: string) => (result?.intent === 'save' ? result.errors?.find((e) => e.field === field) : undefined);
  // Errors of fields the edit form shows beside them; any other (or with no form open) above it.
  const unplaced =
    result?.errors?.filter((e) => !(selected && result.intent === 'save' && ['name', 'kind', 'currencies', 'adapter', 'active'].includes(e.field))) ?? [];

  return (
    <>
      <SettingsHead
        title={t('channelSettings.title')}
        intro={t('channelSettings.intro')}
        errors={unplaced}
        saved={
          done && selected
            ? { testid: 'channel-saved', text: t(done === 'saved' ? 'channelSettings.done.saved' : 'channelSettings.done.unchanged', { name: selected.name }) }
            : null
        }
      />
      {result?.rotated ? (
        <div className="notice success" role="status" data-testid="channel-secret">
          <p>{t('channelSettings.rotatedOnce', { code: result.rotated.code })}</p>
          <code className="secret">{result.rotated.secret}</code>
        </div>
      ) : null}

      <SettingsTable
        testid="channels-table"
        head={
          <>
            <th>{t('channelSettings.name')}</th>
            <th>{t('channelSettings.code')}</th>
            <th>{t('channelSettings.kind')}</th>
            <th>{t('channelSettings.currencies')}</th>
            <th>{t('channelSettings.webhooks')}</th>
            <th className="num">{t('channelSettings.orders')}</th>
            <th />
          </>
        }
      >
        {channels.map((c) => (
          <tr key={c.code} data-testid="channel-row" data-code={c.code}>
            <td>
              {c.name}
              {c.active ? null : <span className="badge">{t('channelSettings.inactive')}</span>}
            </td>
            <td>
              <code>{c.code}</code>
            </td>
            <td>{t(`channelSettings.kinds.${c.kind}`)}</td>
            <td>{c.currencies.join(', ')}</td>
            <td>
              {c.adapter ? t(`channelSettings.adapters.${c.adapter}`) : <span className="muted">{t('channelSettings.noAdapter')}</span>}
              {c.adapter ? (
                <div className="muted small">
                  {c.secretFingerprint ? t('channelSettings.secretSet', { fingerprint: c.secretFingerprint }) : t('channelSettings.noSecret')}
                </div>
              ) : null}
            </td>
            <td className="num">{formatNumber(c.orders, locale)}</td>
            <OpenRecordCell code={c.code} label={canManage ? t('channelSettings.edit') : t('channelSettings.view')} />
          </tr>
        ))}
      </SettingsTable>

      {selected ? (
        <SettingsFormCard
          key={JSON.stringify(selected)}
          testid="channel-form"
          canManage={canManage}
          hidden={{ intent: 'save', channel: selected.code }}
          title={t('channelSettings.editTitle', { name: selected.name })}
          active={{ checked: selected.active, label: t('channelSettings.active'), hint: t('channelSettings.activeHint'), error: err('active') }}
          submit={t('channelSettings.save')}
          cancel={{ to: '/settings/channels', label: t('channelSettings.cancel') }}
        >
          <SettingsField label={t('channelSettings.name')} error={err('name')}>
            <input name="name" required maxLength={100} defaultValue={selected.name} />
          </SettingsField>
          <SettingsField label={t('channelSettings.kind')} error={err('kind')}>
            <select name="kind" defaultValue={selected.kind}>
              {CHANNEL_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`channelSettings.kinds.${k}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('channelSettings.currencies')} hint={t('channelSettings.currenciesNote', { base })} error={err('currencies')}>
            <input
              name="currencies"
              required
              defaultValue={selected.currencies.join(', ')}
              placeholder={t('channelSettings.currenciesHint')}
              autoCapitalize="characters"
            />
          </SettingsField>
          <SettingsField label={t('channelSettings.adapter')} error={err('adapter')}>
            <select name="adapter" defaultValue={selected.adapter ?? ''}>
              <option value="">{t('channelSettings.noAdapter')}</option>
              {CHANNEL_ADAPTERS.map((a) => (
                <option key={a} value={a}>
                  {t(`channelSettings.adapters.${a}`)}
                </option>
              ))}
            </select>
          </SettingsField>
        </SettingsFormCard>
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
              <button type="submit" className="danger" disabled={busy}>
                {selected.secretFingerprint ? t('channelSettings.rotate') : t('channelSettings.generate')}
              </button>
              <p className="muted small">{t('channelSettings.rotateHint')}</p>
            </Form>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
