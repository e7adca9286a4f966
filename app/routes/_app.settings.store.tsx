import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { can } from '../lib/permissions.ts';
import type { FieldError } from '../lib/problem.ts';
import { saveStoreProfile, storeProfile } from '../modules/settings/store.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const profile = await storeProfile(context.orm.em.fork());
  return { profile, canManage: can(user.role, 'settings.manage') };
}

type ActionData = { changed?: string[]; errors?: FieldError[]; sent?: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const raw = Object.fromEntries(['name', 'logoUrl', 'productUrl'].map((k) => [k, String(form.get(k) ?? '')]));
  try {
    return data<ActionData>({ changed: (await saveStoreProfile(context.orm, raw, userActor(user, context.ip))).changed });
  } catch (e) {
    if (e instanceof DomainError && e.errors) return data<ActionData>({ errors: e.errors, sent: raw }, { status: e.status });
    throw e;
  }
}

const FIELDS = [
  { name: 'name', type: 'text', max: 200 },
  { name: 'logoUrl', type: 'url', max: 500 },
  { name: 'productUrl', type: 'url', max: 500 },
] as const;

/** Settings → Store: the shop's name and logo as its customers see them, and where its product pages are. */
export default function StoreSettings() {
  const { profile, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const { t } = useTranslation();
  const value = (f: (typeof FIELDS)[number]['name']) => result?.sent?.[f] ?? profile.saved[f] ?? '';
  return (
    <>
      <h1 className="page-title">{t('store.title')}</h1>
      <p className="muted">{t('store.intro')}</p>
      {result?.changed ? <Toast testId="store-saved">{t(result.changed.length ? 'store.saved' : 'store.unchanged')}</Toast> : null}
      <section className="card" data-testid="store-preview">
        <h2>{t('store.preview')}</h2>
        <div className="public-brand">
          {profile.logoUrl ? <img src={profile.logoUrl} alt="" className="store-logo" /> : null}
          <strong>{profile.name}</strong>
        </div>
      </section>
      <Form method="post" className="card form-grid" data-testid="store-form">
        <CsrfInput />
        {FIELDS.map((f) => (
          <label key={f.name} className="field">
            <span>{t(`store.fields.${f.name}`)}</span>
            <input
              name={f.name}
              type={f.type}
              maxLength={f.max}
              key={`${f.name}-${value(f.name)}`}
              defaultValue={value(f.name)}
              placeholder={f.name === 'name' ? profile.name : undefined}
              disabled={!canManage}
              aria-describedby={`store-${f.name}-hint`}
            />
            <small className="muted" id={`store-${f.name}-hint`}>
              {t(`store.hints.${f.name}`)}
            </small>
            <FieldErrorText error={result?.errors?.find((e) => e.field === f.name)} />
          </label>
        ))}
        {canManage ? (
          <div>
            <button type="submit" className="primary" disabled={navigation.state !== 'idle'}>
              {t('store.save')}
            </button>
          </div>
        ) : null}
      </Form>
    </>
  );
}
