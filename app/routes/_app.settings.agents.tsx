import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { LOCALES } from '../../entities/constants.ts';
import type { FieldError } from '../lib/problem.ts';
import { formTexts, readOutcome } from '../modules/settings/form.ts';
import { refusedPost } from '../modules/settings/screen.server.ts';
import {
  agentFromForm,
  getAgent,
  listAgents,
  listStaff,
  listTeams,
  loadServiceScreen,
  readServicePost,
  saveAgent,
  savedTo,
} from '../modules/service/settings.server.ts';
import { FieldErrorText } from '../components/field-error.tsx';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em, canManage, selected, creating } = await loadServiceScreen(args, getAgent);
  const [agents, teams, staff] = await Promise.all([listAgents(em), listTeams(em), listStaff(em)]);
  const withProfile = new Set(agents.map((a) => a.userId));
  return {
    agents,
    teams: teams.map((t) => ({ id: t.id, name: t.name })),
    newcomers: staff.filter((u) => !withProfile.has(u.id)),
    selected,
    creating,
    canManage,
  };
}

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServicePost(args);
  try {
    const id = formTexts(form, ['agent']).agent;
    const r = await saveAgent(args.context.orm, id && /^\d{1,9}$/.test(id) ? Number(id) : null, agentFromForm(form), actor);
    return savedTo('/settings/agents', r.id, r);
  } catch (e) {
    return refusedPost(e, {});
  }
}

const FIELDS = /^(user|team|skills|capacity|available)$/;
const NEW_CAPACITY = 10;

export default function Agents() {
  const { agents, teams, newcomers, selected, creating, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { errors?: FieldError[] } | undefined;
  const { t, done } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && FIELDS.test(e.field))) ?? [];
  return (
    <>
      <SettingsHead
        title={t('sla.agents.title')}
        intro={t('sla.agents.intro')}
        errors={unplaced}
        add={{ label: t('sla.agents.add'), testid: 'agent-add', shown: canManage && !creating && newcomers.length > 0 }}
        saved={done && selected ? { testid: 'agent-saved', text: t(`sla.done.${readOutcome(done)}`, { name: selected.name }) } : null}
      />
      <SettingsTable
        testid="agents-table"
        head={
          <>
            <th>{t('sla.agents.name')}</th>
            <th>{t('sla.agents.team')}</th>
            <th>{t('sla.agents.skills')}</th>
            <th className="num">{t('sla.agents.load')}</th>
            <th>{t('sla.agents.state')}</th>
            <th />
          </>
        }
      >
        {agents.map((a) => (
          <tr key={a.userId} data-testid="agent-row">
            <td>{a.name}</td>
            <td>{a.teamName ?? <span className="muted">{t('sla.none')}</span>}</td>
            <td>{a.skills.length ? a.skills.map((s) => t(`locales.${s}`)).join(', ') : <span className="muted">{t('sla.none')}</span>}</td>
            <td className="num">{t('sla.agents.loadValue', { open: a.open, capacity: a.capacity })}</td>
            <td>{a.available ? t('sla.agents.available') : <span className="badge">{t('sla.agents.away')}</span>}</td>
            <OpenRecordCell code={String(a.userId)} label={t('sla.edit')} />
          </tr>
        ))}
      </SettingsTable>
      {agents.length ? null : <p className="muted">{t('sla.agents.empty')}</p>}
      {editing ? (
        <SettingsFormCard
          key={creating ? 'new' : JSON.stringify(selected)}
          testid="agent-form"
          canManage={canManage}
          hidden={{ agent: selected ? String(selected.userId) : '' }}
          title={creating ? t('sla.agents.newTitle') : t('sla.agents.editTitle', { name: selected!.name })}
          active={{ checked: selected?.available ?? true, label: t('sla.agents.available'), hint: t('sla.agents.availableHint'), error: err('available') }}
          submit={creating ? t('sla.create') : t('sla.save')}
          cancel={{ to: '/settings/agents', label: t('sla.cancel') }}
          more={
            <fieldset className="plain spaced">
              <legend>{t('sla.agents.skills')}</legend>
              <p className="muted small">{t('sla.agents.skillsHint')}</p>
              {LOCALES.map((l) => (
                <label key={l} className="inline-actions">
                  <input type="checkbox" name="skills" value={l} defaultChecked={selected?.skills.includes(l) ?? false} />
                  <span>{t(`locales.${l}`)}</span>
                </label>
              ))}
              <FieldErrorText error={err('skills')} />
            </fieldset>
          }
        >
          {creating ? (
            <SettingsField label={t('sla.agents.user')} error={err('user')}>
              <select name="user" required>
                {newcomers.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            </SettingsField>
          ) : null}
          <SettingsField label={t('sla.agents.team')} error={err('team')}>
            <select name="team" defaultValue={selected?.teamId ?? ''}>
              <option value="">{t('sla.none')}</option>
              {teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('sla.agents.capacity')} hint={t('sla.agents.capacityHint')} error={err('capacity')}>
            <input name="capacity" required inputMode="numeric" defaultValue={String(selected?.capacity ?? NEW_CAPACITY)} />
          </SettingsField>
        </SettingsFormCard>
      ) : null}
    </>
  );
}
