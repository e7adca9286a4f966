import { useFetcher } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RETURN_REASONS } from '../../../entities/constants.ts';
import { formatMoney } from '../../lib/format.ts';
import { majorToMinor } from '../../lib/money.ts';
import type { FieldError } from '../../lib/problem.ts';
import type { MacroPanelData, MacroRunView } from '../../modules/service/macros.server.ts';
import type { MacroAction } from '../../modules/service/macro-schema.ts';
import { CsrfInput } from '../csrf.tsx';
import { FieldErrorText } from '../field-error.tsx';
import { useLocale } from '../format.tsx';

const ADDRESS_FIELDS = ['name', 'line1', 'line2', 'city', 'postalCode', 'country'] as const;

export interface MacroPanelProps {
  /** macroPanelData(em, ticketId) from the ticket route's loader. */
  data: MacroPanelData;
  /** Where the form posts (the ticket route); its action calls handleMacroPost for `intent=macro`. Default: the current route. */
  action?: string;
}

/** What the ticket route's action answers for `intent=macro`. */
export type MacroPostResult = { run?: MacroRunView; errors?: FieldError[] };

/**
 * The ticket's macro panel: choose a macro, fill in its inputs (an order line from the ticket's order,
 * a quantity, an amount, a reason, a text, an address), see what it will do, run it. The form carries
 * the run key the loader made, so a double click or a retry runs it once. Shows the run's outcome,
 * including a refund waiting for an ops manager's approval.
 */
export function MacroPanel({ data, action }: MacroPanelProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const fetcher = useFetcher<MacroPostResult>();
  const [macroId, setMacroId] = useState<number | null>(data.macros[0]?.id ?? null);
  const [values, setValues] = useState<Record<string, string>>({});
  const macro = data.macros.find((m) => m.id === macroId) ?? null;
  const order = data.order;
  const result = fetcher.data;
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const others = result?.errors?.filter((e) => !e.field.startsWith('inputs.')) ?? [];
  const busy = fetcher.state !== 'idle';
  const set = (k: string, v: string) => setValues((x) => ({ ...x, [k]: v }));
  const money = (minor: number) => (order ? formatMoney(minor, order.currency, locale) : '');

  function describe(a: MacroAction): { key: string; params: Record<string, string | number> } {
    const line = (k?: string) => (k ? order?.lines.find((l) => String(l.id) === values[k]) : undefined);
    const qty = (k: string | undefined, fallback: number) => (k && /^\d+$/.test(values[k] ?? '') ? Number(values[k]) : fallback);
    switch (a.type) {
      case 'refund': {
        let minor = 0;
        const l = line(a.line);
        if (l) minor += Math.round((l.totalMinor * qty(a.quantity, l.quantity)) / Math.max(1, l.quantity));
        if (a.shipping && order) minor += order.shippingMinor;
        if (a.amount && order) minor += majorToMinor(values[a.amount]?.trim() ?? '', order.currency) ?? 0;
        return { key: 'macros.actions.refund.preview', params: { amount: money(minor) } };
      }
      case 'open_return':
      case 'reship': {
        const l = line(a.line);
        return { key: `macros.actions.${a.type}.preview`, params: { quantity: l ? qty(a.quantity, l.quantity) : '?', item: l ? `${l.sku} ${l.name}` : '?' } };
      }
      case 'reply':
        return {
          key: 'macros.actions.reply.preview',
          params: { name: data.canned.find((c) => c.id === a.cannedId)?.name ?? String(a.cannedId), status: t(`macros.statuses.${a.status}`) },
        };
      case 'tag':
        return { key: 'macros.actions.tag.preview', params: { tags: a.tags.join(', ') } };
      case 'set_status':
        return { key: 'macros.actions.set_status.preview', params: { status: t(`macros.statuses.${a.status}`) } };
      case 'set_priority':
        return { key: 'macros.actions.set_priority.preview', params: { priority: t(`macros.priorities.${a.priority}`) } };
      case 'resend_mail':
        return { key: 'macros.actions.resend_mail.preview', params: { template: t(`macros.templates.${a.template}`) } };
      default:
        return { key: `macros.actions.${a.type}.preview`, params: {} };
    }
  }

  const preview = macro ? macro.actions.map((a) => describe(a)) : [];
  if (!data.macros.length) return <p className="muted">{t('macros.panel.none')}</p>;
  return (
    <section className="card macro-panel" data-testid="macro-panel">
      <h2>{t('macros.panel.title')}</h2>
      <fetcher.Form method="post" action={action} data-testid="macro-form">
        <CsrfInput />
        <input type="hidden" name="intent" value="macro" />
        <input type="hidden" name="runKey" value={data.runKey} />
        <label className="field">
          <span>{t('macros.panel.macro')}</span>
          <select
            name="macroId"
            value={macroId ?? ''}
            onChange={(e) => {
              setMacroId(Number(e.currentTarget.value));
              setValues({});
            }}
            data-testid="macro-select"
          >
            {data.macros.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        {macro?.inputs.map((i) => {
          const name = `inputs.${i.key}`;
          const common = {
            name,
            required: i.required,
            value: values[i.key] ?? '',
            onChange: (e: { currentTarget: { value: string } }) => set(i.key, e.currentTarget.value),
          };
          if (i.type === 'address')
            return (
              <fieldset key={i.key} className="plain">
                <legend>{i.label}</legend>
                {ADDRESS_FIELDS.map((f) => (
                  <label key={f} className="field">
                    <span>{t(`macros.address.${f}`)}</span>
                    <input name={`${name}.${f}`} maxLength={200} required={i.required && ['line1', 'city', 'country'].includes(f)} />
                    <FieldErrorText error={err(`${name}.${f}`)} />
                  </label>
                ))}
                <FieldErrorText error={err(name)} />
              </fieldset>
            );
          return (
            <label key={i.key} className="field">
              <span>{i.label}</span>
              {i.type === 'line' ? (
                <select {...common} data-testid={`macro-input-${i.key}`}>
                  <option value="">{t('macros.panel.chooseLine')}</option>
                  {order?.lines.map((l) => (
                    <option key={l.id} value={l.id}>
                      {`${l.sku} · ${l.name} × ${l.quantity} · ${money(l.totalMinor)}`}
                    </option>
                  ))}
                </select>
              ) : i.type === 'reason' ? (
                <select {...common}>
                  <option value="">{t('macros.panel.chooseReason')}</option>
                  {RETURN_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {t(`returnReasons.${r}`)}
                    </option>
                  ))}
                </select>
              ) : i.type === 'text' ? (
                <textarea {...common} rows={3} maxLength={2000} />
              ) : (
                <input {...common} inputMode={i.type === 'quantity' ? 'numeric' : 'decimal'} data-testid={`macro-input-${i.key}`} />
              )}
              <FieldErrorText error={err(name)} />
            </label>
          );
        })}
        {preview.length ? (
          <>
            <h3>{t('macros.panel.preview')}</h3>
            <ol className="macro-preview" data-testid="macro-preview">
              {preview.map((p, n) => (
                <li key={n}>{t(p.key, p.params)}</li>
              ))}
            </ol>
          </>
        ) : null}
        {others.map((e) => (
          <p key={e.field} className="form-error" role="alert">
            {t(e.messageKey, e.params)}
          </p>
        ))}
        <button type="submit" className="primary" disabled={busy || !macro} data-testid="macro-run">
          {busy ? t('macros.panel.running') : t('macros.panel.run')}
        </button>
      </fetcher.Form>
      {result?.run ? <RunOutcome run={result.run} /> : null}
      {data.runs.length ? (
        <>
          <h3>{t('macros.panel.recent')}</h3>
          <ul className="macro-runs" data-testid="macro-runs">
            {data.runs.map((r) => (
              <li key={r.id} data-status={r.status}>
                {r.macroName} · <span className={`badge status-${r.status}`}>{t(`macros.runStatus.${r.status}`)}</span>
                {r.refund ? ` · ${formatMoney(r.refund.amountMinor, r.refund.currency, locale)}` : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** What a run did, step by step; a refund waiting for approval says so. */
function RunOutcome({ run }: { run: MacroRunView }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <div className={`notice ${run.status === 'done' ? 'success' : run.status === 'failed' ? 'error' : 'warning'}`} role="status" data-testid="macro-outcome">
      <p>
        <strong>{t(`macros.runStatus.${run.status}`)}</strong>
        {run.status === 'awaiting_approval' && run.refund
          ? ` · ${t('macros.panel.awaiting', { amount: formatMoney(run.refund.amountMinor, run.refund.currency, locale), reason: t(`macros.approvalReasons.${run.approval?.reason ?? 'per_ticket'}`) })}`
          : null}
        {run.duplicate ? ` · ${t('macros.panel.duplicate')}` : null}
      </p>
      {run.actions.length ? (
        <ol>
          {run.actions.map((a, n) => (
            <li key={n}>
              {t(`macros.actions.${a.type}.label`)} ·{' '}
              {a.ok
                ? t('macros.panel.stepOk')
                : t([`macros.errors.${a.error?.code ?? 'internal'}`, `errors.${a.error?.code ?? 'internal'}`], {
                    ...a.error?.params,
                    defaultValue: a.error?.code,
                  })}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
