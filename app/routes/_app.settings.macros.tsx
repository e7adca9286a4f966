import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import type { FieldError } from '../lib/problem.ts';
import { getMacro, listMacros, macroFromForm, saveMacro } from '../modules/service/macros.server.ts';
import { loadServiceSettings, readServiceSettingsPost, refused, savedTo } from '../modules/service/settings-screen.server.ts';
import { listCanned } from '../modules/service/canned.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { MacroEditor } from '../components/service/macro-editor.tsx';
import { SettingsField, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

const SCREEN = '/settings/macros';

/** What a new macro's form starts from: one example input and action, to edit. */
const EXAMPLE_INPUTS = [{ key: 'line', type: 'line', label: 'Item', required: true }];
const EXAMPLE_ACTIONS = [{ type: 'tag', tags: ['example'] }];

export async function loader(args: LoaderFunctionArgs) {
  const { em, creating, id } = await loadServiceSettings(args);
  const [list, selected, canned] = await Promise.all([listMacros(em), id != null ? getMacro(em, id) : null, listCanned(em)]);
  if (id != null && !selected) throw new Response(null, { status: 404 });
  return { list, selected, creating, canned: canned.map((c) => ({ id: c.id, name: c.name })) };
}

/** What the form posted, as read back (a list that did not read is left out). */
type Posted = { name?: string; active?: boolean; inputs?: unknown; actions?: unknown };
type ActionData = { errors?: FieldError[]; posted?: Posted };
const rowsOf = (v: unknown): Record<string, unknown>[] | null =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : null;

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServiceSettingsPost(args);
  const idText = String(form.get('id') ?? '');
  const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
  const posted = macroFromForm(form) as Posted;
  try {
    const r = await saveMacro(args.context.orm, id, posted, actor);
    return savedTo(SCREEN, r.id, r.created ? 'created' : r.changed.length ? 'saved' : 'unchanged');
  } catch (e) {
    // The form comes back as it was posted, so that nothing typed is lost beside its errors.
    return refused(e, { posted });
  }
}

export default function Macros() {
  const { list, selected, creating, canned } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, done, busy } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const unplaced = result?.errors?.filter((e) => !/^(name|active|inputs|actions)(\.|$)/.test(e.field)) ?? [];
  const editing = creating || selected;
  return (
    <>
      <SettingsHead
        title={t('macros.macro.title')}
        intro={t('macros.macro.intro')}
        errors={unplaced}
        add={{ label: t('macros.macro.add'), testid: 'macro-add', shown: !creating }}
        saved={done ? { testid: 'macro-saved', text: t(`macros.done.${done}`, { defaultValue: t('macros.done.saved') }) } : null}
      />
      <SettingsTable
        testid="macros-table"
        head={
          <>
            <th>{t('macros.macro.name')}</th>
            <th>{t('macros.macro.inputs')}</th>
            <th>{t('macros.macro.actions')}</th>
            <th />
          </>
        }
      >
        {list.map((m) => (
          <tr key={m.id} data-testid="macro-row">
            <td>
              {m.name}
              {m.active ? null : <span className="badge">{t('macros.inactive')}</span>}
            </td>
            <td>{m.inputs.map((i) => i.label).join(', ')}</td>
            <td>{m.actions.map((a) => t(`macros.actions.${a.type}.label`)).join(' → ')}</td>
            <td>
              <Link to={`?id=${m.id}`}>{t('macros.edit')}</Link>
            </td>
          </tr>
        ))}
      </SettingsTable>
      {list.length ? null : <p className="muted">{t('macros.macro.none')}</p>}
      {editing ? (
        <section className="card spaced" data-testid="macro-form-card">
          <h2>{creating ? t('macros.macro.newTitle') : t('macros.macro.editTitle', { name: selected!.name })}</h2>
          <Form method="post" data-testid="macro-form" key={`${selected?.updatedAt ?? 'new'}${result?.posted ? '-posted' : ''}`}>
            <CsrfInput />
            <input type="hidden" name="id" value={selected?.id ?? ''} />
            <div className="form-grid">
              <SettingsField label={t('macros.macro.name')} error={err('name')}>
                <input name="name" required maxLength={100} defaultValue={result?.posted?.name ?? selected?.name} />
              </SettingsField>
            </div>
            <label className="inline-actions">
              <input type="checkbox" name="active" defaultChecked={result?.posted?.active ?? selected?.active ?? true} />
              <span>{t('macros.macro.active')}</span>
            </label>
            <MacroEditor
              initialInputs={rowsOf(result?.posted?.inputs) ?? selected?.inputs ?? EXAMPLE_INPUTS}
              initialActions={rowsOf(result?.posted?.actions) ?? selected?.actions ?? EXAMPLE_ACTIONS}
              canned={canned}
              errors={result?.errors}
            />
            <div className="inline-actions spaced">
              <button type="submit" className="primary" disabled={busy}>
                {creating ? t('macros.create') : t('macros.save')}
              </button>
              <Link to={SCREEN}>{t('macros.cancel')}</Link>
            </div>
          </Form>
        </section>
      ) : null}
    </>
  );
}
