import { Link, useSearchParams } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { useLocale } from './format.tsx';

/**
 * Previous / next links that keep every other filter in the URL. Give `pages` when the total is
 * known ("Page 2 of 9"), or `more` when only whether a next page exists is. With `cursors` (keyset
 * paging) the links seek from the first / last row shown (`before` / `after`) instead of an offset,
 * so a page never repeats or skips rows while new ones arrive; back to page 1 is the plain first page.
 */
export function Pager({
  page,
  pages,
  more,
  cursors,
}: {
  page: number;
  pages?: number;
  more?: boolean;
  cursors?: { next: string | null; prev: string | null };
}) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const locale = useLocale();
  const to = (p: number, seek?: { after?: string | null; before?: string | null }) => {
    const next = new URLSearchParams(params);
    next.delete('after');
    next.delete('before');
    if (seek?.after) next.set('after', seek.after);
    if (seek?.before && p > 1) next.set('before', seek.before);
    next.set('page', String(p));
    return `?${next}`;
  };
  const hasNext = cursors ? !!cursors.next : pages !== undefined ? page < pages : !!more;
  return (
    <nav className="pager" aria-label={t('common.pagination')}>
      {page > 1 ? (
        <Link to={cursors ? to(page - 1, { before: cursors.prev }) : to(page - 1)} rel="prev">
          {t('common.previous')}
        </Link>
      ) : null}
      <span>
        {pages !== undefined && page <= pages
          ? t('common.pageOf', { page: page.toLocaleString(locale), pages: pages.toLocaleString(locale) })
          : t('inventory.page', { page })}
      </span>
      {hasNext ? (
        <Link to={cursors ? to(page + 1, { after: cursors.next }) : to(page + 1)} rel="next">
          {t('common.next')}
        </Link>
      ) : null}
    </nav>
  );
}
