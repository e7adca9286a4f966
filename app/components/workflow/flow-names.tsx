import { Form } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { LOCALES } from '../../../entities/constants.ts';
import type { FlowTranslations } from '../../../entities/workflows.ts';
import type { FieldError } from '../../lib/problem.ts';
import { CsrfInput } from '../csrf.tsx';

/** The flow's name and description in each language (folded away until opened). */
export function FlowNames({ flow, errors }: { flow: { name: string; description: string | null; translations: FlowTranslations }; errors?: FieldError[] }) {
  const { t } = useTranslation();
  return (
    <details className="card flow-names" data-testid="flow-names" open={!!errors?.length}>
      <summary>{t('designer.names.title')}</summary>
      <Form method="post" className="stack">
        <CsrfInput />
        <input type="hidden" name="intent" value="rename" />
        <label className="field">
          <span>{t('designer.names.name')}</span>
          <input name="name" defaultValue={flow.name} required maxLength={200} />
        </label>
        <label className="field">
          <span>{t('designer.names.description')}</span>
          <input name="description" defaultValue={flow.description ?? ''} maxLength={2000} />
        </label>
        {LOCALES.map((l) => (
          <fieldset key={l} className="plain">
            <legend>{t(`locales.${l}`)}</legend>
            <input
              name={`name.${l}`}
              aria-label={`${t('designer.names.name')} (${t(`locales.${l}`)})`}
              placeholder={t('designer.names.name')}
              defaultValue={flow.translations[l]?.name ?? ''}
              maxLength={200}
              data-testid={`flow-name-${l}`}
            />{' '}
            <input
              name={`description.${l}`}
              aria-label={`${t('designer.names.description')} (${t(`locales.${l}`)})`}
              placeholder={t('designer.names.description')}
              defaultValue={flow.translations[l]?.description ?? ''}
              maxLength={2000}
            />
          </fieldset>
        ))}
        {errors?.map((e) => (
          <p key={e.field + e.code} className="form-error" role="alert">
            {e.field}: {t(e.messageKey, { defaultValue: e.code })}
          </p>
        ))}
        <button type="submit">{t('designer.names.save')}</button>
      </Form>
    </details>
  );
}
