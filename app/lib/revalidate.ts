import type { ShouldRevalidateFunction } from '@remix-run/react';

/**
 * For the layouts above the pages (root, the console shell): a live refresh of the page (a revalidation of the
 * same address, no form sent) leaves their data as it is — the user, language and the bell do not move with
 * an order — so the refresh asks the server for the page's own loader only. Navigations and form submissions
 * revalidate them as usual.
 */
export const keepOnLiveRefresh: ShouldRevalidateFunction = ({ formMethod, currentUrl, nextUrl, defaultShouldRevalidate }) =>
  !formMethod && currentUrl.href === nextUrl.href ? false : defaultShouldRevalidate;
