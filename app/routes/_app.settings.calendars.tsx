import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import type { FieldError } from '../lib/problem.ts';
import { formTexts, readOutcome } from '../modules/settings/form.ts';
import { refusedPost } from '../modules/settings/screen.server.ts';
import { calendarFromForm, getCalendar, listCalendars, loadServiceScreen, readServicePost, saveCalendar, savedTo } from '../modules/service/settings.server.ts';
import { hoursText, WEEKDAYS } from '../modules/service/sla.ts';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em, canManage, selected, creating } = await loadServiceScreen(args, getCalendar);
  return { calendars: await listCalendars(em), selected, creating, canManage };
}

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServicePost(args);
  try {
    const id = formTexts(form, ['calendar']).calendar;
    const r = await saveCalendar(args.context.orm, id && /^\d{1,9}$/.test(id) ? Number(id) : null, calendarFromForm(form), actor);
    return savedTo('/settings/calendars', r.id, r);
  } catch (e) {
    return refusedPost(e, {});
  }
}

const FIELDS = /^(name|timeZone|holidays|hours\.\d)$/;
const NEW_HOURS = [1, 2, 3, 4, 5].map((day) => ({ day, from: 540, to: 1080 }));
const DEFAULT_ZONE = 'UTC';

export default function Calendars() {
  const { calendars, selected, creating, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { errors?: FieldError[] } | undefined;
  const { t, done } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && FIELDS.test(e.field))) ?? [];
  const hours = selected?.hours ?? NEW_HOURS;
  return (
    <>
      <SettingsHead
        title={t('sla.calendars.title')}
        intro={t('sla.calendars.intro')}
        errors={unplaced}
        add={{ label: t('sla.calendars.add'), testid: 'calendar-add', shown: canManage && !creating }}
        saved={done && selected ? { testid: 'calendar-saved', text: t(`sla.done.${readOutcome(done)}`, { name: selected.name }) } : null}
      />
      <SettingsTable
        testid="calendars-table"
        head={
          <>
            <th>{t('sla.calendars.name')}</th>
            <th>{t('sla.calendars.timeZone')}</th>
            <th>{t('sla.calendars.hours')}</th>
            <th className="num">{t('sla.calendars.holidays')}</th>
            <th className="num">{t('sla.calendars.teams')}</th>
            <th />
          </>
        }
      >
        {calendars.map((c) => (
          <tr key={c.id} data-testid="calendar-row">
            <td>{c.name}</td>
            <td>
              <code>{c.timeZone}</code>
            </td>
            <td>
              <ul className="address-list">
                {WEEKDAYS.filter((d) => hoursText(c.hours, d)).map((d) => (
                  <li key={d}>
                    <span className="muted">{t(`sla.weekdays.${d}`)}</span> {hoursText(c.hours, d)}
                  </li>
                ))}
              </ul>
            </td>
            <td className="num">{c.holidays.length}</td>
            <td className="num">{c.teams}</td>
            <OpenRecordCell code={String(c.id)} label={t('sla.edit')} />
          </tr>
        ))}
      </SettingsTable>
      {calendars.length ? null : <p className="muted">{t('sla.calendars.empty')}</p>}
      {editing ? (
        <SettingsFormCard
          key={creating ? 'new' : JSON.stringify(selected)}
          testid="calendar-form"
          canManage={canManage}
          hidden={{ calendar: selected ? String(selected.id) : '' }}
          title={creating ? t('sla.calendars.newTitle') : t('sla.calendars.editTitle', { name: selected!.name })}
          submit={creating ? t('sla.create') : t('sla.save')}
          cancel={{ to: '/settings/calendars', label: t('sla.cancel') }}
          more={
            <>
              <h2 className="spaced">{t('sla.calendars.hours')}</h2>
              <p className="muted">{t('sla.calendars.hoursHint')}</p>
              <div className="form-grid">
                {WEEKDAYS.map((d) => (
                  <SettingsField key={d} label={t(`sla.weekdays.${d}`)} error={err(`hours.${d}`)}>
                    <input name={`hours.${d}`} defaultValue={hoursText(hours, d)} placeholder={t('sla.calendars.closed')} maxLength={100} />
                  </SettingsField>
                ))}
              </div>
              <SettingsField label={t('sla.calendars.holidays')} hint={t('sla.calendars.holidaysHint')} error={err('holidays')}>
                <textarea name="holidays" rows={3} defaultValue={selected?.holidays.join('\n') ?? ''} maxLength={5000} />
              </SettingsField>
            </>
          }
        >
          <SettingsField label={t('sla.calendars.name')} error={err('name')}>
            <input name="name" required maxLength={100} defaultValue={selected?.name} />
          </SettingsField>
          <SettingsField label={t('sla.calendars.timeZone')} hint={t('sla.calendars.timeZoneHint')} error={err('timeZone')}>
            <input name="timeZone" required maxLength={64} defaultValue={selected?.timeZone ?? DEFAULT_ZONE} />
          </SettingsField>
        </SettingsFormCard>
      ) : null}
    </>
  );
}
