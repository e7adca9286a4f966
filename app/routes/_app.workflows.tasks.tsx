import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { z } from 'zod';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { Id } from '../lib/ids.ts';
import { useLiveRevalidate, useStickyActionData } from '../lib/live.ts';
import { decideTask, listOpenTasks } from '../modules/workflows/tasks.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { DateTime } from '../components/format.tsx';
import { EmptyState } from '../components/empty-state.tsx';

/** The inbox: open human tasks that the signed-in user's role may decide. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const tasks = await listOpenTasks(context.orm.em.fork(), user.role);
  return { tasks, role: user.role };
}

const Decide = z.object({
  id: Id,
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().trim().max(2000).optional(),
});

type ActionData = { decided?: { id: number; status: string }; error?: { code: string; params?: Record<string, string | number> } };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'workflows.view');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = Decide.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ error: { code: 'validation_failed' } }, { status: 422 });
  try {
    const task = await decideTask(
      context.orm,
      context.temporal,
      parsed.data.id,
      { decision: parsed.data.decision, comment: parsed.data.comment },
      { role: user.role, actor: userActor(user, context.ip) },
    );
    return data<ActionData>({ decided: { id: task.id, status: task.status } });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

function About({ type, id }: { type: string | null; id: string | null }) {
  const { t } = useTranslation();
  if (!type || !id) return null;
  if (type === 'Order') return <Link to={`/orders/${id}`}>{t('workflowTasks.about.order', { id })}</Link>;
  if (type === 'ReturnRequest') return <span>{t('workflowTasks.about.return', { id })}</span>;
  if (type === 'InventoryLevel') return <span>{t('workflowTasks.about.stockLevel', { id })}</span>;
  return <span>{t('workflowTasks.about.other', { type, id })}</span>;
}

export default function WorkflowTasks() {
  const { tasks } = useLoaderData<typeof loader>();
  const result = useStickyActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  useLiveRevalidate('workflows', (e) => e.type === 'task.opened' || e.type === 'task.closed', 500);
  const busy = navigation.state !== 'idle';

  return (
    <>
      <h1 className="page-title">{t('workflowTasks.title')}</h1>
      <p className="muted">{t('workflowTasks.intro')}</p>
      {result?.decided ? (
        <Toast testId="task-decided">{t(`workflowTasks.decided.${result.decided.status === 'approved' ? 'approved' : 'rejected'}`)}</Toast>
      ) : null}
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}
      {tasks.length === 0 ? (
        <EmptyState title={t('workflowTasks.none')} />
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table" data-testid="task-inbox">
            <thead>
              <tr>
                <th>{t('workflowTasks.columns.task')}</th>
                <th>{t('workflowTasks.columns.about')}</th>
                <th>{t('workflowTasks.columns.run')}</th>
                <th>{t('workflowTasks.columns.opened')}</th>
                <th>{t('workflowTasks.columns.due')}</th>
                <th>{t('workflowTasks.columns.decision')}</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.id} data-testid={`task-${task.id}`}>
                  <td>{task.title}</td>
                  <td>
                    <About type={task.entityType} id={task.entityId} />
                  </td>
                  <td>
                    <code>{task.workflowId}</code>
                  </td>
                  <td>
                    <DateTime value={task.createdAt} />
                  </td>
                  <td>
                    <DateTime value={task.dueAt} />
                  </td>
                  <td>
                    <Form method="post" className="inline-actions">
                      <CsrfInput />
                      <input type="hidden" name="id" value={task.id} />
                      <input name="comment" maxLength={2000} aria-label={t('workflowTasks.comment')} placeholder={t('workflowTasks.comment')} />
                      <button type="submit" name="decision" value="approved" className="primary" disabled={busy}>
                        {t('workflowTasks.approve')}
                      </button>
                      <button type="submit" name="decision" value="rejected" className="danger" disabled={busy}>
                        {t('workflowTasks.reject')}
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
