import { RemixBrowser } from '@remix-run/react';
import { startTransition, StrictMode } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { createI18n, isLocale } from './lib/i18n.ts';

// Same language as the server render (the root layout writes it into <html lang>), so nothing flashes.
const lang = document.documentElement.lang;
const i18n = createI18n(isLocale(lang) ? lang : 'en');

startTransition(() => {
  hydrateRoot(
    document,
    <I18nextProvider i18n={i18n}>
      <StrictMode>
        <RemixBrowser />
      </StrictMode>
    </I18nextProvider>,
  );
});
