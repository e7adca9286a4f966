import { Link, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { useLocale } from './format.tsx';

/**
 * Previous / next links that keep every other filter in the URL. Give `pages` when the total is
 * known ("Page 2 of 9"), or `more` when only whether a next page exists is.
 */
export function Pager({ page, pages, more }: { page: number; pages?: number; more?: boolean }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const locale = useLocale();
  const to = (p: number) => { const next = new URLSearchParams(params); next.set('page', String(p)); return `?${next}`; };
  const hasNext = pages !== undefined ? page < pages : !!more;
  return (
    <nav className="pager" aria-label={t('common.pagination')}>
      {page > 1 ? <Link to={to(page - 1)}>{t('common.previous')}</Link> : null}
      <span>{pages !== undefined ? t('common.pageOf', { page: page.toLocaleString(locale), pages: pages.toLocaleString(locale) }) : t('inventory.page', { page })}</span>
      {hasNext ? <Link to={to(page + 1)}>{t('common.next')}</Link> : null}
    </nav>
  );
}
