import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { ApiKey } from '../../entities/index.ts';
import { assertCsrf, createApiKey, requireUser, revokeApiKey, userActor } from '../lib/auth.server.ts';
import { Id } from '../lib/ids.ts';
import { ROLES } from '../lib/permissions.ts';
import { fieldErrors, type FieldError } from '../lib/problem.ts';
import { formatDateTime } from '../lib/format.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'settings.view');
  const keys = await context.orm.em.fork().find(ApiKey, {}, { orderBy: { id: 'desc' }, populate: ['createdBy'] });
  return {
    keys: keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      role: k.role,
      createdAt: k.createdAt.toISOString(),
      lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      revokedAt: k.revokedAt?.toISOString() ?? null,
      createdBy: k.createdBy?.email ?? null,
    })),
  };
}

const Create = z.object({ intent: z.literal('create'), name: z.string().trim().min(1).max(100), role: z.enum(ROLES) });
const Revoke = z.object({ intent: z.literal('revoke'), id: Id });

type ActionData = { created?: { key: string; name: string }; errors?: FieldError[] };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const parsed = z.discriminatedUnion('intent', [Create, Revoke]).safeParse(Object.fromEntries(form));
  if (!parsed.success) return data<ActionData>({ errors: fieldErrors(parsed.error) }, { status: 422 });
  const em = context.orm.em.fork();
  const input = parsed.data;
  if (input.intent === 'create') {
    const created = await createApiKey(em, { name: input.name, role: input.role, createdBy: user }, userActor(user, context.ip));
    return data<ActionData>({ created: { key: created.key, name: input.name } });
  }
  const found = await revokeApiKey(em, input.id, userActor(user, context.ip));
  if (!found) return data<ActionData>({ errors: [{ field: 'id', code: 'not_found', messageKey: 'errors.not_found' }] }, { status: 404 });
  return data<ActionData>({});
}

export default function ApiKeys() {
  const { keys } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const locale = useRootData()?.locale ?? 'en';
  const err = (f: string) => result?.errors?.find((e) => e.field === f);
  return (
    <>
      <h1 className="page-title">{t('apiKeys.title')}</h1>
      <p className="muted">{t('apiKeys.intro')}</p>
      {result?.created ? (
        <div className="notice success" role="status" data-testid="api-key-created">
          <p>{t('apiKeys.createdOnce', { name: result.created.name })}</p>
          <code className="secret">{result.created.key}</code>
        </div>
      ) : null}
      <Form method="post" className="filters">
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <label className="field">
          <span>{t('apiKeys.name')}</span>
          <input name="name" required />
          <FieldErrorText error={err('name')} />
        </label>
        <label className="field">
          <span>{t('apiKeys.role')}</span>
          <select name="role" defaultValue="agent">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          {t('apiKeys.create')}
        </button>
      </Form>
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table">
          <thead>
            <tr>
              <th>{t('apiKeys.name')}</th>
              <th>{t('apiKeys.prefix')}</th>
              <th>{t('apiKeys.role')}</th>
              <th>{t('apiKeys.created')}</th>
              <th>{t('apiKeys.lastUsed')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} className={k.revokedAt ? 'revoked' : ''}>
                <td>{k.name}</td>
                <td>
                  <code>{`oms_${k.prefix}_…`}</code>
                </td>
                <td>{t(`roles.${k.role}`)}</td>
                <td>
                  {formatDateTime(k.createdAt, locale)}
                  {k.createdBy ? <span className="muted"> · {k.createdBy}</span> : null}
                </td>
                <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt, locale) : t('apiKeys.never')}</td>
                <td>
                  {k.revokedAt ? (
                    t('apiKeys.revoked')
                  ) : (
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="id" value={k.id} />
                      <button type="submit" className="danger">
                        {t('apiKeys.revoke')}
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
