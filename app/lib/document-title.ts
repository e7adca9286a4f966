// The browser tab's title, in the reader's language: a route may name its own (`handle.title`, given its
// loader's data), else the console area the page belongs to; always followed by the brand.
import { useLocation, useMatches } from '@remix-run/react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { AREAS } from './permissions.ts';

export interface TitleHandle {
  /** The page's title (without the brand), or its brand and title when it returns a pair. */
  title?: (t: TFunction, data: never) => string | { title: string; brand: string } | null;
}

export function useDocumentTitle(): string {
  const { t } = useTranslation();
  const matches = useMatches();
  const { pathname } = useLocation();
  const brand = t('app.name');
  for (const m of [...matches].reverse()) {
    const own = (m.handle as TitleHandle | undefined)?.title?.(t, m.data as never);
    if (typeof own === 'string') return `${own} · ${brand}`;
    if (own) return `${own.title} · ${own.brand}`;
  }
  const area = AREAS.find((a) => pathname === a.path || pathname.startsWith(`${a.path}/`));
  if (area) return `${t(`nav.${area.id}`)} · ${brand}`;
  if (pathname.startsWith('/login')) return `${t('auth.login')} · ${brand}`;
  return brand;
}
