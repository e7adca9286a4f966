import { useFetcher, useLocation } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { LOCALES } from '../lib/i18n.ts';
import { useRootData } from '../root.tsx';

/** Language picker; the choice is saved on the user (or in a cookie when signed out). */
export function LocaleSwitcher() {
  const { t } = useTranslation();
  const root = useRootData();
  const fetcher = useFetcher();
  const location = useLocation();
  return (
    <fetcher.Form method="post" action="/locale" className="locale-switcher">
      <input type="hidden" name="_csrf" value={root?.csrf ?? ''} />
      <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
      <label>
        <span className="visually-hidden">{t('shell.language')}</span>
        <select name="locale" data-testid="locale-switcher" value={root?.locale ?? 'en'} onChange={(e) => fetcher.submit(e.currentTarget.form)}>
          {LOCALES.map((l) => (
            <option key={l} value={l}>
              {t(`locales.${l}`)}
            </option>
          ))}
        </select>
      </label>
      <noscript>
        <button type="submit">{t('common.apply')}</button>
      </noscript>
    </fetcher.Form>
  );
}
