import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const lint = async (code: string, filePath = 'app/routes/example.tsx') => {
  const [result] = await new ESLint().lintText(code, { filePath });
  return result.messages.map((m) => m.ruleId);
};

describe('the hard-coded UI text rule', () => {
  it('fails on text a person reads that bypasses i18next', async () => {
    expect(await lint('export default function A() {\n  return <p>Hello there</p>;\n}\n')).toContain('i18next/no-literal-string');
    expect(await lint('export default function A({ xs }: { xs: string[] }) {\n  return <ul>{xs.map((x) => <li key={x}>Label</li>)}</ul>;\n}\n')).toContain(
      'i18next/no-literal-string',
    );
    expect(await lint('export function B() {\n  return <input placeholder="Search orders" />;\n}\n')).toContain('i18next/no-literal-string');
  });

  it('accepts translated text and markup-only attributes', async () => {
    const ok =
      'import { useTranslation } from \'react-i18next\';\nexport default function A() {\n  const { t } = useTranslation();\n  return <p className="muted" data-testid="x">{t(\'nav.orders\')}</p>;\n}\n';
    expect(await lint(ok)).toEqual([]);
  });

  it('does not apply to tests', async () => {
    expect(await lint('export default function A() {\n  return <p>Hello</p>;\n}\n', 'app/routes/example.test.tsx')).toEqual([]);
  });
});
