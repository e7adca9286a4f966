import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { LOCALES } from '../lib/i18n.ts';
import type { FieldError } from '../lib/problem.ts';
import { cannedFromForm, deleteCanned, getCanned, listCanned, saveCanned } from '../modules/service/canned.server.ts';
import { CANNED_VARIABLES, parseCanned } from '../modules/service/canned.ts';
import { loadServiceSettings, readServiceSettingsPost, refused, savedTo } from '../modules/service/settings-screen.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { SettingsField, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

const SCREEN = '/settings/canned-responses';

export async function loader(args: LoaderFunctionArgs) {
  const { em, creating, id } = await loadServiceSettings(args);
  const [list, selected] = await Promise.all([listCanned(em), id != null ? getCanned(em, id) : null]);
  if (id != null && !selected) throw new Response(null, { status: 404 });
  // Variables the selected response uses that are not ours (they render as nothing): named beside its form.
  const unknown = selected
    ? [...new Set(LOCALES.flatMap((l) => (selected.bodies[l]?.trim() ? ((p) => (p.ok ? p.unknown : []))(parseCanned(selected.bodies[l])) : [])))]
    : [];
  return { list, selected, creating, unknown };
}

type ActionData = { errors?: FieldError[] };

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readServiceSettingsPost(args);
  const idText = String(form.get('id') ?? '');
  const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
  try {
    if (form.get('intent') === 'delete' && id != null) {
      await deleteCanned(args.context.orm, id, actor);
      return savedTo(SCREEN, null, 'deleted');
    }
    const r = await saveCanned(args.context.orm, id, cannedFromForm(form), actor);
    return savedTo(SCREEN, r.id, r.created ? 'created' : r.changed.length ? (r.warnings.length ? 'savedWarnings' : 'saved') : 'unchanged');
  } catch (e) {
    return refused(e);
  }
}

export default function CannedResponses() {
  const { list, selected, creating, unknown } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, done, busy } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const unplaced = result?.errors?.filter((e) => !/^(name|tags|bodies\.[\w-]+)$/.test(e.field)) ?? [];
  const editing = creating || selected;
  return (
    <>
      <SettingsHead
        title={t('macros.canned.title')}
        intro={t('macros.canned.intro')}
        errors={unplaced}
        add={{ label: t('macros.canned.add'), testid: 'canned-add', shown: !creating }}
        saved={done ? { testid: 'canned-saved', text: t(`macros.done.${done}`, { defaultValue: t('macros.done.saved') }) } : null}
      />
      <SettingsTable
        testid="canned-table"
        head={
          <>
            <th>{t('macros.canned.name')}</th>
            <th>{t('macros.canned.tags')}</th>
            <th>{t('macros.canned.languages')}</th>
            <th />
          </>
        }
      >
        {list.map((c) => (
          <tr key={c.id} data-testid="canned-row">
            <td>{c.name}</td>
            <td>{c.tags.join(', ')}</td>
            <td>
              {LOCALES.filter((l) => c.bodies[l]?.trim())
                .map((l) => t(`locales.${l}`))
                .join(' · ')}
            </td>
            <td>
              <Link to={`?id=${c.id}`}>{t('macros.edit')}</Link>
            </td>
          </tr>
        ))}
      </SettingsTable>
      {list.length ? null : <p className="muted">{t('macros.canned.none')}</p>}
      {editing ? (
        <section className="card spaced" data-testid="canned-form-card">
          <h2>{creating ? t('macros.canned.newTitle') : t('macros.canned.editTitle', { name: selected!.name })}</h2>
          <Form method="post" data-testid="canned-form" key={selected?.updatedAt ?? 'new'}>
            <CsrfInput />
            <input type="hidden" name="id" value={selected?.id ?? ''} />
            <div className="form-grid">
              <SettingsField label={t('macros.canned.name')} error={err('name')}>
                <input name="name" required maxLength={100} defaultValue={selected?.name} />
              </SettingsField>
              <SettingsField label={t('macros.canned.tags')} hint={t('macros.canned.tagsHint')} error={err('tags')}>
                <input name="tags" maxLength={400} defaultValue={selected?.tags.join(', ')} />
              </SettingsField>
            </div>
            {LOCALES.map((l) => (
              <SettingsField key={l} className="field grow" label={t('macros.canned.body', { language: t(`locales.${l}`) })} error={err(`bodies.${l}`)}>
                <textarea name={`bodies.${l}`} rows={6} maxLength={10000} defaultValue={selected?.bodies[l] ?? ''} required={l === 'en'} />
              </SettingsField>
            ))}
            {unknown.length ? (
              <p className="notice warning" role="status" data-testid="canned-unknown">
                {t('macros.errors.unknownVariables', { names: unknown.join(', ') })}
              </p>
            ) : null}
            <p className="muted small">
              {t('macros.canned.variables')} <code>{CANNED_VARIABLES.map((v) => `{{ ${v} }}`).join(' ')}</code>
            </p>
            <div className="inline-actions spaced">
              <button type="submit" className="primary" disabled={busy}>
                {creating ? t('macros.create') : t('macros.save')}
              </button>
              <Link to={SCREEN}>{t('macros.cancel')}</Link>
              {selected ? (
                <button type="submit" name="intent" value="delete" className="danger" formNoValidate disabled={busy}>
                  {t('macros.delete')}
                </button>
              ) : null}
            </div>
          </Form>
        </section>
      ) : null}
    </>
  );
}
