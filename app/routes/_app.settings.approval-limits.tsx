import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { minorToMajor } from '../lib/money.ts';
import type { FieldError } from '../lib/problem.ts';
import { LIMIT_ROLES, listLimits, saveLimits } from '../modules/service/macros.server.ts';
import { loadServiceSettings, readServiceSettingsPost, refused, savedTo } from '../modules/service/settings-screen.server.ts';
import { formTexts } from '../modules/settings/form.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { em } = await loadServiceSettings(args);
  return listLimits(em);
}

type ActionData = { errors?: FieldError[] };

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServiceSettingsPost(args);
  try {
    const r = await saveLimits(
      args.context.orm,
      formTexts(
        form,
        LIMIT_ROLES.flatMap((role) => [`${role}.perTicket`, `${role}.perDay`]),
      ),
      actor,
    );
    return savedTo('/settings/approval-limits', null, r.changed.length ? 'saved' : 'unchanged');
  } catch (e) {
    return refused(e);
  }
}

export default function ApprovalLimits() {
  const { base, limits } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, done, busy } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const major = (minor: number | null) => (minor == null ? '' : minorToMajor(minor, base));
  return (
    <>
      <SettingsHead
        title={t('macros.limits.title')}
        intro={t('macros.limits.intro', { currency: base })}
        errors={result?.errors?.filter((e) => !/^\w+\.(perTicket|perDay)$/.test(e.field)) ?? []}
        saved={done ? { testid: 'limits-saved', text: t(`macros.done.${done}`, { defaultValue: t('macros.done.saved') }) } : null}
      />
      <Form method="post" data-testid="limits-form">
        <CsrfInput />
        <SettingsTable
          testid="limits-table"
          head={
            <>
              <th>{t('macros.limits.role')}</th>
              <th>{t('macros.limits.perTicket', { currency: base })}</th>
              <th>{t('macros.limits.perDay', { currency: base })}</th>
            </>
          }
        >
          {limits.map((l) => (
            <tr key={l.role} data-testid="limit-row" data-role={l.role}>
              <td>{t(`roles.${l.role}`)}</td>
              {l.role === 'admin' ? (
                <td colSpan={2} className="muted">
                  {t('macros.limits.noLimitAdmin')}
                </td>
              ) : (
                <>
                  <td>
                    <input
                      name={`${l.role}.perTicket`}
                      inputMode="decimal"
                      defaultValue={major(l.perTicketMinor)}
                      placeholder={t('macros.limits.none')}
                      aria-label={t('macros.limits.perTicket', { currency: base })}
                    />
                    <FieldErrorText error={err(`${l.role}.perTicket`)} />
                  </td>
                  <td>
                    <input
                      name={`${l.role}.perDay`}
                      inputMode="decimal"
                      defaultValue={major(l.perDayMinor)}
                      placeholder={t('macros.limits.none')}
                      aria-label={t('macros.limits.perDay', { currency: base })}
                    />
                    <FieldErrorText error={err(`${l.role}.perDay`)} />
                  </td>
                </>
              )}
            </tr>
          ))}
        </SettingsTable>
        <p className="muted small">{t('macros.limits.hint')}</p>
        <button type="submit" className="primary spaced" disabled={busy}>
          {t('macros.save')}
        </button>
      </Form>
    </>
  );
}
