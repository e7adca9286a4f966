import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    remix({
      // OMS_BUILD_DIR lets parallel test runs build into separate folders.
      buildDirectory: process.env.OMS_BUILD_DIR ?? 'build',
      ignoredRouteFiles: ['**/*.test.ts', '**/*.test.tsx', '**/*.css'],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  server: { port: 3000 },
  build: { target: 'es2022' },
  ssr: { noExternal: [] },
});
