// Lint: TypeScript rules everywhere, plus a guard against hard-coded UI text in app/.
import tseslint from 'typescript-eslint';
import i18next from 'eslint-plugin-i18next';

export default tseslint.config(
  { ignores: ['build/**', '.build-*/**', 'node_modules/**', '.data/**', '.tools/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['app/**/*.tsx'],
    ignores: ['app/**/*.test.tsx'],
    plugins: { i18next },
    rules: {
      // Every string a person reads goes through t(); markup-only literals (class names, ids) are allowed.
      'i18next/no-literal-string': ['error', { mode: 'jsx-only', 'jsx-attributes': { include: ['title', 'placeholder', 'alt', 'aria-label', 'label'] } }],
    },
  },
);
