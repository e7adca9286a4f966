import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { BINDING_EVENTS, type BindingEvent } from '../../entities/workflows.ts';
import { assertCsrf, forbidden, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { parseId } from '../lib/ids.ts';
import type { FieldError } from '../lib/problem.ts';
import { createBinding, deleteBinding, listBindings, listDefinitions, matchBinding, updateBinding } from '../modules/workflows/service.server.ts';
import { parseCron, runBindingNow, syncSchedules } from '../modules/workflows/schedules.server.ts';
import { parseJson } from '../lib/boundary.ts';
import { evaluateBounded } from '../lib/expressions.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { DateTime } from '../components/format.tsx';
import { EXAMPLE_PAYLOADS as EXAMPLES } from '../modules/workflows/examples.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const em = context.orm.em.fork();
  const [bindings, definitions] = await Promise.all([listBindings(em), listDefinitions(em)]);
  return {
    bindings: bindings.map((b) => ({ ...b, nextRuns: b.event === 'schedule' && b.cron && b.active ? (parseCron(b.cron)?.next ?? null) : null })),
    definitions: definitions.map((d) => ({ id: d.id, key: d.key, name: d.name, latestVersion: d.latestVersion })),
    canEdit: can(user.role, 'workflows.edit'),
  };
}

type TestResult = {
  event: string;
  winner: { bindingId: number; definitionKey: string; definitionName: string; version: number } | null;
  filters: { bindingId: number; active: boolean; result: 'match' | 'no_match' | 'no_filter' | 'error'; value?: string; message?: string }[];
};
type ActionData = {
  form?: string;
  done?: 'created' | 'updated' | 'deleted' | 'activated' | 'deactivated' | 'started';
  errors?: FieldError[];
  test?: TestResult;
  payloadError?: string;
  /** The binding was saved but its Temporal schedule could not be updated now (the worker syncs it later). */
  scheduleDeferred?: boolean;
};

const str = (form: FormData, name: string) => {
  const v = form.get(name);
  return v == null ? undefined : String(v);
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const form = await request.formData();
  assertCsrf(request, form);
  const intent = str(form, 'intent') ?? '';
  const em = context.orm.em.fork();
  if (intent === 'test') {
    const event = str(form, 'event') ?? '';
    const parsed = parseJson(str(form, 'payload') ?? '');
    if (!parsed.ok)
      return data<ActionData>({ form: 'test', payloadError: parsed.fault ? `${parsed.fault.field}: ${parsed.fault.code}` : 'not JSON' }, { status: 422 });
    const payload = parsed.value;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      return data<ActionData>({ form: 'test', payloadError: 'not an object' }, { status: 422 });
    const candidates = (BINDING_EVENTS as readonly string[]).includes(event) ? await listBindings(em, event as BindingEvent) : [];
    const filters: TestResult['filters'] = [];
    for (const b of candidates) {
      if (!b.filter) {
        filters.push({ bindingId: b.id, active: b.active, result: 'no_filter' });
        continue;
      }
      try {
        const v: unknown = await evaluateBounded(b.filter, payload);
        const hit = Array.isArray(v) ? v.some(Boolean) : !!v;
        filters.push({ bindingId: b.id, active: b.active, result: hit ? 'match' : 'no_match', value: v === undefined ? undefined : JSON.stringify(v) });
      } catch (e) {
        filters.push({ bindingId: b.id, active: b.active, result: 'error', message: (e as Error).message });
      }
    }
    const match = await matchBinding(em, event, payload as Record<string, unknown>);
    return data<ActionData>({
      form: 'test',
      test: {
        event,
        filters,
        winner: match
          ? {
              bindingId: match.binding.id,
              definitionKey: match.binding.definitionKey,
              definitionName: match.binding.definitionName,
              version: match.version.number,
            }
          : null,
      },
    });
  }
  if (!can(user.role, 'workflows.edit')) throw forbidden('workflows.edit');
  const actor = userActor(user, context.ip);
  // Only an id can name a binding; 0 names none (the service answers 404).
  const id = parseId(str(form, 'id')) ?? 0;
  const fields = () => ({
    event: str(form, 'event'),
    filter: str(form, 'filter') ?? null,
    priority: str(form, 'priority') || undefined,
    definitionId: str(form, 'definitionId'),
    active: form.get('active') === 'on' || form.get('active') === 'true',
    cron: str(form, 'cron') ?? null,
  });
  const which = intent === 'create' ? 'create' : `b${id}`;
  // A binding's Temporal schedule follows it at once when Temporal answers; otherwise the worker syncs it.
  const synced = async (bindingId: number, done: NonNullable<ActionData['done']>) => {
    let scheduleDeferred = false;
    try {
      const client = await context.temporal();
      await client.withDeadline(Date.now() + 5_000, () => syncSchedules(context.orm, client, context.config.TEMPORAL_TASK_QUEUE, bindingId));
    } catch (e) {
      console.warn(`[bindings] schedule of binding ${bindingId} not synced now (${(e as Error).message}); the worker will`);
      scheduleDeferred = true;
    }
    return data<ActionData>({ form: which, done, scheduleDeferred });
  };
  try {
    switch (intent) {
      case 'create':
        return synced((await createBinding(context.orm, fields(), actor)).id, 'created');
      case 'update':
        await updateBinding(context.orm, id, fields(), actor);
        return synced(id, 'updated');
      case 'toggle': {
        const active = form.get('active') === 'true';
        await updateBinding(context.orm, id, { active }, actor);
        return synced(id, active ? 'activated' : 'deactivated');
      }
      case 'delete':
        await deleteBinding(context.orm, id, actor);
        return synced(id, 'deleted');
      case 'run': {
        const input = parseJson(str(form, 'input') || '{}');
        if (!input.ok)
          return data<ActionData>(
            { form: which, errors: [input.fault ?? { field: 'input', code: 'invalid_json', messageKey: 'errors.invalid_json' }] },
            { status: 422 },
          );
        await runBindingNow(context.orm, id, input.value, actor);
        return data<ActionData>({ form: which, done: 'started' });
      }
      default:
        return data<ActionData>(
          { form: which, errors: [{ field: 'intent', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }] },
          { status: 422 },
        );
    }
  } catch (e) {
    if (e instanceof DomainError)
      return data<ActionData>(
        { form: which, errors: e.errors ?? [{ field: 'form', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] },
        { status: e.status },
      );
    throw e;
  }
}

type Binding = ReturnType<typeof useLoaderData<typeof loader>>['bindings'][number];
type Definition = ReturnType<typeof useLoaderData<typeof loader>>['definitions'][number];

function BindingFields({ binding, definitions, err }: { binding?: Binding; definitions: Definition[]; err: (field: string) => FieldError | undefined }) {
  const { t } = useTranslation();
  return (
    <>
      <label className="field">
        <span>{t('bindings.event')}</span>
        <select name="event" defaultValue={binding?.event ?? 'order.created'} data-testid="binding-event">
          {BINDING_EVENTS.map((ev) => (
            <option key={ev} value={ev}>
              {t(`bindings.events.${ev}`)}
            </option>
          ))}
        </select>
        <FieldErrorText error={err('event')} />
      </label>
      <label className="field">
        <span>{t('bindings.flow')}</span>
        <select name="definitionId" defaultValue={binding?.definitionId ?? definitions[0]?.id} data-testid="binding-flow">
          {definitions.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
        <FieldErrorText error={err('definitionId')} />
      </label>
      <label className="field grow">
        <span>{t('bindings.filter')}</span>
        <input name="filter" defaultValue={binding?.filter ?? ''} placeholder={t('bindings.filterHint')} data-testid="binding-filter" />
        <FieldErrorText error={err('filter')} />
      </label>
      <label className="field">
        <span>{t('bindings.priority')}</span>
        <input name="priority" type="number" min={0} max={1000000} defaultValue={binding?.priority ?? 100} className="narrow" data-testid="binding-priority" />
        <FieldErrorText error={err('priority')} />
      </label>
      <label className="field">
        <span>{t('bindings.cron')}</span>
        <input name="cron" defaultValue={binding?.cron ?? ''} placeholder={t('bindings.cronHint')} />
        <FieldErrorText error={err('cron')} />
      </label>
      <label className="field checkbox">
        <input type="checkbox" name="active" defaultChecked={binding?.active ?? true} /> <span>{t('bindings.active')}</span>
      </label>
    </>
  );
}

export default function Bindings() {
  const { bindings, definitions, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [editing, setEditing] = useState<number | null>(null);
  const [testEvent, setTestEvent] = useState<BindingEvent>('order.created');
  const [payload, setPayload] = useState(JSON.stringify(EXAMPLES['order.created'], null, 2));
  const err = (form: string) => (field: string) => (result?.form === form ? result.errors?.find((e) => e.field === field) : undefined);
  const formError = (form: string) =>
    result?.form === form ? result.errors?.find((e) => !['event', 'filter', 'priority', 'definitionId', 'cron', 'active'].includes(e.field)) : undefined;
  const busy = navigation.state !== 'idle';
  const test = result?.test;

  return (
    <>
      <p>
        <Link to="/workflows">{t('workflows.back')}</Link>
      </p>
      <h1 className="page-title">{t('bindings.title')}</h1>
      <p className="muted">{t('bindings.intro')}</p>
      {result?.done ? <Toast testId="binding-done">{t(`bindings.done.${result.done}`)}</Toast> : null}
      {result?.scheduleDeferred ? (
        <p className="notice warning" role="status">
          {t('bindings.scheduleDeferred')}
        </p>
      ) : null}

      <section className="card">
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="bindings">
            <thead>
              <tr>
                <th>{t('bindings.event')}</th>
                <th className="num">{t('bindings.priority')}</th>
                <th>{t('bindings.flow')}</th>
                <th>{t('bindings.filter')}</th>
                <th>{t('bindings.state')}</th>
                {canEdit ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {bindings.map((b) =>
                editing === b.id && canEdit ? (
                  <tr key={b.id} data-testid="binding-row" data-id={b.id}>
                    <td colSpan={6}>
                      <Form method="post" className="filters plain" onSubmit={() => setEditing(null)}>
                        <CsrfInput />
                        <input type="hidden" name="intent" value="update" />
                        <input type="hidden" name="id" value={b.id} />
                        <BindingFields binding={b} definitions={definitions} err={err(`b${b.id}`)} />
                        <button type="submit" className="primary" disabled={busy}>
                          {t('bindings.save')}
                        </button>
                        <button type="button" onClick={() => setEditing(null)}>
                          {t('bindings.cancel')}
                        </button>
                      </Form>
                    </td>
                  </tr>
                ) : (
                  <tr key={b.id} data-testid="binding-row" data-id={b.id} className={b.active ? '' : 'muted'}>
                    <td>
                      <code>{b.event}</code>
                      <div className="muted small">{t(`bindings.events.${b.event}`)}</div>
                    </td>
                    <td className="num">{b.priority}</td>
                    <td>
                      <Link to={`/workflows/${b.definitionKey}`}>{b.definitionName}</Link>
                    </td>
                    <td>
                      {b.filter ? <code>{b.filter}</code> : <span className="muted">{t('bindings.noFilter')}</span>}
                      {b.cron ? <div className="muted small">{b.cron}</div> : null}
                      {b.nextRuns ? (
                        <div className="muted small" data-testid="binding-next-runs">
                          {t('bindings.nextRuns')}{' '}
                          {b.nextRuns
                            .map((at) => <DateTime key={at} value={at} />)
                            .reduce<React.ReactNode[]>((acc, el, i) => (i ? [...acc, ' · ', el] : [el]), [])}
                        </div>
                      ) : null}
                      <FieldErrorText error={err(`b${b.id}`)('filter') ?? err(`b${b.id}`)('input') ?? formError(`b${b.id}`)} />
                    </td>
                    <td>
                      <span className={`badge ${b.active ? 'run-completed' : 'run-cancelled'}`}>{t(b.active ? 'bindings.isActive' : 'bindings.inactive')}</span>
                    </td>
                    {canEdit ? (
                      <td className="inline-actions">
                        <button type="button" onClick={() => setEditing(b.id)} data-testid="binding-edit">
                          {t('bindings.edit')}
                        </button>
                        {(b.event === 'manual' || b.event === 'schedule') && b.active ? (
                          <details className="run-now">
                            <summary data-testid="binding-run-now">{t('bindings.runNow')}</summary>
                            <Form method="post">
                              <CsrfInput />
                              <input type="hidden" name="intent" value="run" />
                              <input type="hidden" name="id" value={b.id} />
                              <label className="field">
                                <span>{t('bindings.runInput')}</span>
                                <textarea name="input" rows={4} defaultValue="{}" spellCheck={false} className="code" data-testid="binding-run-input" />
                              </label>
                              <button type="submit" className="primary" disabled={busy} data-testid="binding-run-submit">
                                {t('bindings.runStart')}
                              </button>
                            </Form>
                          </details>
                        ) : null}
                        <Form method="post">
                          <CsrfInput />
                          <input type="hidden" name="intent" value="toggle" />
                          <input type="hidden" name="id" value={b.id} />
                          <input type="hidden" name="active" value={String(!b.active)} />
                          <button type="submit" disabled={busy} data-testid="binding-toggle">
                            {t(b.active ? 'bindings.deactivate' : 'bindings.activate')}
                          </button>
                        </Form>
                        <Form
                          method="post"
                          onSubmit={(e) => {
                            if (!window.confirm(t('bindings.confirmDelete'))) e.preventDefault();
                          }}
                        >
                          <CsrfInput />
                          <input type="hidden" name="intent" value="delete" />
                          <input type="hidden" name="id" value={b.id} />
                          <button type="submit" className="danger" disabled={busy} data-testid="binding-delete">
                            {t('bindings.delete')}
                          </button>
                        </Form>
                      </td>
                    ) : null}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
        {bindings.length ? null : <p className="muted">{t('bindings.none')}</p>}
      </section>

      {canEdit ? (
        <section className="card">
          <h2>{t('bindings.add')}</h2>
          <Form method="post" className="filters plain" data-testid="binding-create">
            <CsrfInput />
            <input type="hidden" name="intent" value="create" />
            <BindingFields definitions={definitions} err={err('create')} />
            <button type="submit" className="primary" disabled={busy}>
              {t('bindings.create')}
            </button>
            <FieldErrorText error={formError('create')} />
          </Form>
        </section>
      ) : null}

      <section className="card">
        <h2>{t('bindings.testTitle')}</h2>
        <p className="muted small">{t('bindings.testIntro')}</p>
        <Form method="post" data-testid="binding-test">
          <CsrfInput />
          <input type="hidden" name="intent" value="test" />
          <label className="field">
            <span>{t('bindings.event')}</span>
            <select
              name="event"
              value={testEvent}
              onChange={(e) => {
                const ev = e.target.value as BindingEvent;
                setTestEvent(ev);
                setPayload(JSON.stringify(EXAMPLES[ev], null, 2));
              }}
            >
              {BINDING_EVENTS.map((ev) => (
                <option key={ev} value={ev}>
                  {t(`bindings.events.${ev}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('bindings.payload')}</span>
            <textarea
              name="payload"
              rows={10}
              value={payload}
              onChange={(e) => setPayload(e.target.value)}
              spellCheck={false}
              className="code"
              data-testid="binding-test-payload"
            />
          </label>
          {result?.payloadError ? (
            <p className="field-error" role="alert">
              {t('bindings.badPayload', { message: result.payloadError })}
            </p>
          ) : null}
          <button type="submit" disabled={busy}>
            {t('bindings.runTest')}
          </button>
        </Form>
        {test ? (
          <div data-testid="binding-test-result">
            <p className={test.winner ? 'notice success' : 'notice warning'}>
              {test.winner
                ? t('bindings.winner', { flow: test.winner.definitionName, version: test.winner.version, id: test.winner.bindingId })
                : t('bindings.noWinner', { event: test.event })}
            </p>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('bindings.binding')}</th>
                  <th>{t('bindings.flow')}</th>
                  <th>{t('bindings.filter')}</th>
                  <th>{t('bindings.result')}</th>
                </tr>
              </thead>
              <tbody>
                {test.filters.map((f) => {
                  const b = bindings.find((x) => x.id === f.bindingId);
                  return (
                    <tr key={f.bindingId} className={test.winner?.bindingId === f.bindingId ? 'highlight' : ''}>
                      <td>
                        #{f.bindingId} · {b?.priority}
                        {f.active ? null : <span className="badge">{t('bindings.inactive')}</span>}
                      </td>
                      <td>{b?.definitionName}</td>
                      <td>{b?.filter ? <code>{b.filter}</code> : '—'}</td>
                      <td>
                        {t(`bindings.results.${f.result}`)}
                        {f.value !== undefined ? (
                          <span className="muted small">
                            {' '}
                            = <code>{f.value}</code>
                          </span>
                        ) : null}
                        {f.message ? <div className="muted small">{f.message}</div> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
