import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { assertCsrf } from '../lib/auth.server.ts';
import { DomainError } from '../lib/errors.ts';
import { isLocale } from '../lib/i18n.ts';
import type { FieldError } from '../lib/problem.ts';
import type { TitleHandle } from '../lib/document-title.ts';
import { storeProfile } from '../modules/settings/store.server.ts';
import { recordCsat, ticketByCsatToken } from '../modules/service/csat.server.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';

export const meta: MetaFunction = () => [{ name: 'robots', content: 'noindex' }];

export const handle: TitleHandle = {
  title: (t, data: { number: string; store: string } | undefined) =>
    data ? { title: t('macros.csat.title', { store: data.store }), brand: data.store } : null,
};

const RATINGS = [1, 2, 3, 4, 5] as const;

/** Public: the customer of a solved ticket rates our help from the link in the rating mail. GET only shows the page. */
export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const em = context.orm.em.fork();
  const t = await ticketByCsatToken(em, params.token);
  if (!t) throw new Response(null, { status: 404 });
  const asked = new URL(request.url).searchParams.get('rating');
  const preselected = asked && /^[1-5]$/.test(asked) ? Number(asked) : null;
  return {
    number: t.number,
    language: isLocale(t.language) ? t.language : 'en',
    store: (await storeProfile(em)).name,
    preselected,
    given: t.csat ? { rating: t.csat.rating, comment: t.csat.comment } : null,
  };
}

type ActionData = { saved?: { rating: number }; errors?: FieldError[] };

export async function action({ params, request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  assertCsrf(request, form);
  try {
    const r = await recordCsat(
      context.orm,
      params.token,
      { rating: String(form.get('rating') ?? ''), comment: typeof form.get('comment') === 'string' ? String(form.get('comment')) : undefined },
      { type: 'anonymous', label: 'customer (rating link)', ip: context.ip },
    );
    return data<ActionData>({ saved: { rating: r.rating } });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.status === 404) throw new Response(null, { status: 404 });
    return data<ActionData>({ errors: e.errors ?? [] }, { status: e.status });
  }
}

export default function Csat() {
  const { number, language, store, preselected, given } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const { i18n } = useTranslation();
  const t = i18n.getFixedT(language);
  const chosen = preselected ?? given?.rating ?? null;
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  if (result?.saved)
    return (
      <main className="public-page" lang={language} data-testid="csat-thanks">
        <h1>{t('macros.csat.thanks')}</h1>
        <p>{t('macros.csat.thanksBody', { rating: result.saved.rating, store })}</p>
      </main>
    );
  return (
    <main className="public-page" lang={language}>
      <h1>{t('macros.csat.title', { store })}</h1>
      <p className="muted">{t('macros.csat.intro', { number })}</p>
      {given ? <p className="notice">{t('macros.csat.already', { rating: given.rating })}</p> : null}
      <Form method="post" data-testid="csat-form">
        <CsrfInput />
        <fieldset className="plain">
          <legend>{t('macros.csat.question')}</legend>
          <div className="inline-actions" role="group">
            {RATINGS.map((r) => (
              <button
                key={r}
                type="submit"
                name="rating"
                value={r}
                className={r === chosen ? 'primary' : undefined}
                aria-pressed={r === chosen}
                disabled={navigation.state !== 'idle'}
                data-testid={`csat-rate-${r}`}
              >
                {t(`macros.csat.ratings.${r}`)}
              </button>
            ))}
          </div>
          <FieldErrorText error={err('rating')} />
          <label className="field">
            <span>{t('macros.csat.comment')}</span>
            <textarea name="comment" rows={3} maxLength={2000} defaultValue={given?.comment ?? ''} />
            <FieldErrorText error={err('comment')} />
          </label>
          {chosen ? (
            <button type="submit" name="rating" value={chosen} className="primary" data-testid="csat-confirm">
              {t('macros.csat.confirm', { rating: chosen })}
            </button>
          ) : null}
        </fieldset>
      </Form>
    </main>
  );
}
