import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { CUSTOMER_TIERS } from '../../entities/customers.ts';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '../../entities/service.ts';
import type { FieldError } from '../lib/problem.ts';
import { formTexts, readOutcome } from '../modules/settings/form.ts';
import { refusedPost } from '../modules/settings/screen.server.ts';
import { getPolicy, listPolicies, loadServiceScreen, policyFromForm, readServicePost, savedTo, savePolicy } from '../modules/service/settings.server.ts';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em, canManage, selected, creating } = await loadServiceScreen(args, getPolicy);
  return { policies: await listPolicies(em), selected, creating, canManage };
}

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServicePost(args);
  try {
    const id = formTexts(form, ['policy']).policy;
    const r = await savePolicy(args.context.orm, id && /^\d{1,9}$/.test(id) ? Number(id) : null, policyFromForm(form), actor);
    return savedTo('/settings/sla', r.id, r);
  } catch (e) {
    return refusedPost(e, {});
  }
}

const FIELDS = /^(name|priority|channel|tier|firstResponseMinutes|nextResponseMinutes|resolutionMinutes|warnBeforeMinutes|active)$/;
const MINUTE_FIELDS = ['firstResponseMinutes', 'nextResponseMinutes', 'resolutionMinutes', 'warnBeforeMinutes'] as const;
/** What a policy matches, and where each value's name is. */
const APPLIES = [
  ['priority', 'sla.priorities'],
  ['channel', 'sla.channels'],
  ['tier', 'tiers'],
] as const;
const NEW_MINUTES = { firstResponseMinutes: 60, nextResponseMinutes: 240, resolutionMinutes: 1440, warnBeforeMinutes: 30 };

export default function SlaPolicies() {
  const { policies, selected, creating, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { errors?: FieldError[] } | undefined;
  const { t, done } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && FIELDS.test(e.field))) ?? [];
  return (
    <>
      <SettingsHead
        title={t('sla.policies.title')}
        intro={t('sla.policies.intro')}
        errors={unplaced}
        add={{ label: t('sla.policies.add'), testid: 'policy-add', shown: canManage && !creating }}
        saved={done && selected ? { testid: 'policy-saved', text: t(`sla.done.${readOutcome(done)}`, { name: selected.name }) } : null}
      />
      <SettingsTable
        testid="policies-table"
        head={
          <>
            <th>{t('sla.policies.name')}</th>
            <th>{t('sla.policies.appliesTo')}</th>
            <th className="num">{t('sla.policies.firstResponseMinutes')}</th>
            <th className="num">{t('sla.policies.nextResponseMinutes')}</th>
            <th className="num">{t('sla.policies.resolutionMinutes')}</th>
            <th />
          </>
        }
      >
        {policies.map((p) => (
          <tr key={p.id} data-testid="policy-row">
            <td>
              {p.name}
              {p.active ? null : <span className="badge">{t('sla.inactive')}</span>}
            </td>
            <td>{APPLIES.map(([field, group]) => (p[field] ? t(`${group}.${p[field]}`) : t('sla.any'))).join(' · ')}</td>
            <td className="num">{p.firstResponseMinutes}</td>
            <td className="num">{p.nextResponseMinutes}</td>
            <td className="num">{p.resolutionMinutes}</td>
            <OpenRecordCell code={String(p.id)} label={t('sla.edit')} />
          </tr>
        ))}
      </SettingsTable>
      {policies.length ? null : <p className="muted">{t('sla.policies.empty')}</p>}
      {editing ? (
        <SettingsFormCard
          key={creating ? 'new' : JSON.stringify(selected)}
          testid="policy-form"
          canManage={canManage}
          hidden={{ policy: selected ? String(selected.id) : '' }}
          title={creating ? t('sla.policies.newTitle') : t('sla.policies.editTitle', { name: selected!.name })}
          active={{ checked: selected?.active ?? true, label: t('sla.policies.active'), hint: t('sla.policies.activeHint'), error: err('active') }}
          submit={creating ? t('sla.create') : t('sla.save')}
          cancel={{ to: '/settings/sla', label: t('sla.cancel') }}
        >
          <SettingsField label={t('sla.policies.name')} error={err('name')}>
            <input name="name" required maxLength={100} defaultValue={selected?.name} />
          </SettingsField>
          <SettingsField label={t('sla.policies.priority')} error={err('priority')}>
            <select name="priority" defaultValue={selected?.priority ?? ''}>
              <option value="">{t('sla.any')}</option>
              {TICKET_PRIORITIES.map((v) => (
                <option key={v} value={v}>
                  {t(`sla.priorities.${v}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('sla.policies.channel')} error={err('channel')}>
            <select name="channel" defaultValue={selected?.channel ?? ''}>
              <option value="">{t('sla.any')}</option>
              {TICKET_CHANNELS.map((v) => (
                <option key={v} value={v}>
                  {t(`sla.channels.${v}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('sla.policies.tier')} error={err('tier')}>
            <select name="tier" defaultValue={selected?.tier ?? ''}>
              <option value="">{t('sla.any')}</option>
              {CUSTOMER_TIERS.map((v) => (
                <option key={v} value={v}>
                  {t(`tiers.${v}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          {MINUTE_FIELDS.map((f) => (
            <SettingsField key={f} label={t(`sla.policies.${f}`)} hint={t('sla.policies.minutesHint')} error={err(f)}>
              <input name={f} required inputMode="numeric" defaultValue={String(selected?.[f] ?? NEW_MINUTES[f])} />
            </SettingsField>
          ))}
        </SettingsFormCard>
      ) : null}
    </>
  );
}
