import jsonata from 'jsonata';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';

type Def = {
  type: string;
  innerType?: ZodLike;
  element?: ZodLike;
  entries?: Record<string, string>;
  shape?: Record<string, ZodLike>;
  defaultValue?: unknown;
  checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[];
};
type ZodLike = { _zod: { def: Def } };

const def = (s: ZodLike): Def => s._zod.def;
const unwrap = (s: ZodLike): { schema: ZodLike; optional: boolean; dflt?: unknown } => {
  let cur = s;
  let optional = false;
  let dflt: unknown;
  for (;;) {
    const d = def(cur);
    if (d.type === 'optional') {
      optional = true;
      cur = d.innerType!;
      continue;
    }
    if (d.type === 'default') {
      dflt = d.defaultValue;
      cur = d.innerType!;
      continue;
    }
    return { schema: cur, optional, dflt };
  }
};
const isExpressionField = (name: string) => name === 'expression' || name.endsWith('Expression');

/**
 * The settings of one step, rendered from its zod schema: text, numbers, choices, lists and
 * expressions (checked as you type). Values starting with "=" are expressions evaluated at run time.
 */
export function ConfigForm({
  schema,
  value,
  onChange,
  readOnly,
  errors,
}: {
  schema: z.ZodType;
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  readOnly?: boolean;
  errors: { field?: string }[];
}) {
  const { t } = useTranslation();
  const shape = (schema as unknown as ZodLike)._zod.def.shape ?? {};
  const set = (k: string, v: unknown) => onChange({ ...value, [k]: v });
  const fields = Object.entries(shape);
  if (!fields.length) return <p className="muted">{t('designer.noSettings')}</p>;
  return (
    <div className="config-form">
      {fields.map(([name, raw]) => {
        const { schema: s, optional, dflt } = unwrap(raw);
        const d = def(s);
        const current = value[name] ?? dflt;
        const invalid = errors.some((e) => e.field === name || e.field?.startsWith(`${name}.`));
        const label = t(`configFields.${name}`, { defaultValue: name });
        let control: React.ReactNode;
        // Lists of checkboxes or rows hold several inputs: a group, since a label names only one control.
        let group = false;
        if (d.type === 'enum') {
          control = (
            <select
              value={String(current ?? '')}
              disabled={readOnly}
              onChange={(e) => set(name, e.target.value || undefined)}
              aria-invalid={invalid}
              data-testid={`config-${name}`}
            >
              {optional || current === undefined ? <option value="">—</option> : null}
              {Object.values(d.entries ?? {}).map((v) => (
                <option key={v} value={v}>
                  {t(`configValues.${v}`, { defaultValue: v })}
                </option>
              ))}
            </select>
          );
        } else if (d.type === 'boolean') {
          control = <input type="checkbox" checked={!!current} disabled={readOnly} onChange={(e) => set(name, e.target.checked)} />;
        } else if (d.type === 'number') {
          control = (
            <input
              type="number"
              value={current === undefined ? '' : String(current)}
              disabled={readOnly}
              aria-invalid={invalid}
              onChange={(e) => set(name, e.target.value === '' ? undefined : Number(e.target.value))}
            />
          );
        } else if (d.type === 'array' && def(d.element!).type === 'enum') {
          const options = Object.values(def(d.element!).entries ?? {});
          const chosen = new Set(Array.isArray(current) ? (current as string[]) : []);
          group = true;
          control = (
            <div className="checks">
              {options.map((o) => (
                <label key={o}>
                  <input
                    type="checkbox"
                    disabled={readOnly}
                    checked={chosen.has(o)}
                    onChange={(e) => {
                      const n = new Set(chosen);
                      if (e.target.checked) n.add(o);
                      else n.delete(o);
                      set(name, [...n]);
                    }}
                  />{' '}
                  {t(`roles.${o}`, { defaultValue: o })}
                </label>
              ))}
            </div>
          );
        } else if (d.type === 'array' && def(d.element!).type === 'string') {
          control = (
            <input
              value={Array.isArray(current) ? (current as string[]).join(', ') : ''}
              disabled={readOnly}
              aria-invalid={invalid}
              placeholder={t('designer.commaList')}
              onChange={(e) =>
                set(
                  name,
                  e.target.value
                    .split(',')
                    .map((x) => x.trim())
                    .filter(Boolean),
                )
              }
            />
          );
        } else if (d.type === 'array' && def(d.element!).type === 'object') {
          const rows = Array.isArray(current) ? (current as Record<string, string>[]) : [];
          const cols = Object.keys(def(d.element!).shape ?? {});
          group = true;
          control = (
            <div className="rows-editor">
              {rows.map((row, i) => (
                <div key={i} className="row">
                  {cols.map((c) => (
                    <input
                      key={c}
                      value={row[c] ?? ''}
                      disabled={readOnly}
                      placeholder={t(`configFields.${c}`, { defaultValue: c })}
                      aria-label={t(`configFields.${c}`, { defaultValue: c })}
                      onChange={(e) =>
                        set(
                          name,
                          rows.map((r, j) => (j === i ? { ...r, [c]: e.target.value } : r)),
                        )
                      }
                    />
                  ))}
                  {readOnly ? null : (
                    <button
                      type="button"
                      className="link-button"
                      onClick={() =>
                        set(
                          name,
                          rows.filter((_, j) => j !== i),
                        )
                      }
                    >
                      {t('manual.remove')}
                    </button>
                  )}
                </div>
              ))}
              {readOnly ? null : (
                <button type="button" onClick={() => set(name, [...rows, Object.fromEntries(cols.map((c) => [c, '']))])}>
                  {t('designer.addRow')}
                </button>
              )}
            </div>
          );
        } else {
          const text = current === undefined ? '' : String(current);
          const expression = isExpressionField(name) || text.startsWith('=');
          let parseError: string | null = null;
          if (expression && text.trim()) {
            try {
              jsonata(isExpressionField(name) ? text : text.slice(1));
            } catch (e) {
              parseError = (e as Error).message;
            }
          }
          control = (
            <>
              {expression ? (
                <textarea
                  className="expression"
                  rows={2}
                  value={text}
                  disabled={readOnly}
                  aria-invalid={invalid || !!parseError}
                  spellCheck={false}
                  onChange={(e) => set(name, e.target.value || undefined)}
                  data-testid={`config-${name}`}
                />
              ) : (
                <input
                  value={text}
                  disabled={readOnly}
                  aria-invalid={invalid}
                  onChange={(e) => set(name, e.target.value || undefined)}
                  data-testid={`config-${name}`}
                />
              )}
              {parseError ? (
                <span className="field-error" role="alert">
                  {t('workflowErrors.bad_expression', { message: parseError })}
                </span>
              ) : null}
            </>
          );
        }
        const body = (
          <>
            <span>
              {label}
              {optional ? '' : ' *'}
            </span>
            {control}
            <span className="muted small">{t(`configHelp.${name}`, { defaultValue: '' })}</span>
          </>
        );
        return group ? (
          <div key={name} className="field" role="group" aria-label={label}>
            {body}
          </div>
        ) : (
          <label key={name} className="field">
            {body}
          </label>
        );
      })}
    </div>
  );
}
