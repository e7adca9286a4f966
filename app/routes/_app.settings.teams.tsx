import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import type { FieldError } from '../lib/problem.ts';
import { formTexts, readOutcome } from '../modules/settings/form.ts';
import { refusedPost } from '../modules/settings/screen.server.ts';
import {
  getTeam,
  listCalendars,
  listStaff,
  listTeams,
  loadServiceScreen,
  readServicePost,
  savedTo,
  saveTeam,
  teamFromForm,
} from '../modules/service/settings.server.ts';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em, canManage, selected, creating } = await loadServiceScreen(args, getTeam);
  const [teams, calendars, staff] = await Promise.all([listTeams(em), listCalendars(em), listStaff(em)]);
  return { teams, calendars: calendars.map((c) => ({ id: c.id, name: c.name })), staff, selected, creating, canManage };
}

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServicePost(args);
  try {
    const id = formTexts(form, ['team']).team;
    const r = await saveTeam(args.context.orm, id && /^\d{1,9}$/.test(id) ? Number(id) : null, teamFromForm(form), actor);
    return savedTo('/settings/teams', r.id, r);
  } catch (e) {
    return refusedPost(e, {});
  }
}

const FIELDS = /^(name|email|calendar|lead)$/;

export default function Teams() {
  const { teams, calendars, staff, selected, creating, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { errors?: FieldError[] } | undefined;
  const { t, done } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && FIELDS.test(e.field))) ?? [];
  return (
    <>
      <SettingsHead
        title={t('sla.teams.title')}
        intro={t('sla.teams.intro')}
        errors={unplaced}
        add={{ label: t('sla.teams.add'), testid: 'team-add', shown: canManage && !creating }}
        saved={done && selected ? { testid: 'team-saved', text: t(`sla.done.${readOutcome(done)}`, { name: selected.name }) } : null}
      />
      <SettingsTable
        testid="teams-table"
        head={
          <>
            <th>{t('sla.teams.name')}</th>
            <th>{t('sla.teams.email')}</th>
            <th>{t('sla.teams.calendar')}</th>
            <th>{t('sla.teams.lead')}</th>
            <th className="num">{t('sla.teams.agents')}</th>
            <th />
          </>
        }
      >
        {teams.map((team) => (
          <tr key={team.id} data-testid="team-row">
            <td>{team.name}</td>
            <td>{team.email ?? <span className="muted">{t('sla.none')}</span>}</td>
            <td>{team.calendarName ?? <span className="muted">{t('sla.always')}</span>}</td>
            <td>{team.leadName ?? <span className="muted">{t('sla.none')}</span>}</td>
            <td className="num">{team.agents}</td>
            <OpenRecordCell code={String(team.id)} label={t('sla.edit')} />
          </tr>
        ))}
      </SettingsTable>
      {teams.length ? null : <p className="muted">{t('sla.teams.empty')}</p>}
      {editing ? (
        <SettingsFormCard
          key={creating ? 'new' : JSON.stringify(selected)}
          testid="team-form"
          canManage={canManage}
          hidden={{ team: selected ? String(selected.id) : '' }}
          title={creating ? t('sla.teams.newTitle') : t('sla.teams.editTitle', { name: selected!.name })}
          submit={creating ? t('sla.create') : t('sla.save')}
          cancel={{ to: '/settings/teams', label: t('sla.cancel') }}
        >
          <SettingsField label={t('sla.teams.name')} error={err('name')}>
            <input name="name" required maxLength={100} defaultValue={selected?.name} />
          </SettingsField>
          <SettingsField label={t('sla.teams.email')} hint={t('sla.teams.emailHint')} error={err('email')}>
            <input name="email" type="email" maxLength={255} defaultValue={selected?.email ?? ''} />
          </SettingsField>
          <SettingsField label={t('sla.teams.calendar')} error={err('calendar')}>
            <select name="calendar" defaultValue={selected?.calendarId ?? ''}>
              <option value="">{t('sla.always')}</option>
              {calendars.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </SettingsField>
          <SettingsField label={t('sla.teams.lead')} hint={t('sla.teams.leadHint')} error={err('lead')}>
            <select name="lead" defaultValue={selected?.leadId ?? ''}>
              <option value="">{t('sla.none')}</option>
              {staff.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </SettingsField>
        </SettingsFormCard>
      ) : null}
    </>
  );
}
