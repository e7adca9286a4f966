import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RETURN_REASONS } from '../../../entities/constants.ts';
import type { FieldError } from '../../lib/problem.ts';
import { REFUND_REASONS } from '../../modules/payments/refund-reasons.ts';
import {
  ACTION_TYPES,
  INPUT_TYPES,
  MACRO_PRIORITIES,
  MACRO_STATUSES,
  MAX_ACTIONS,
  MAX_INPUTS,
  RESEND_TEMPLATES,
  type ActionType,
  type InputType,
} from '../../modules/service/macro-schema.ts';
import { FieldErrorText } from '../field-error.tsx';

/** An input as the form edits it. */
interface InputRow {
  id: number;
  key: string;
  type: InputType;
  label: string;
  required: boolean;
}

/** An action as the form edits it: its type and every field any type has, as typed. */
interface ActionRow {
  id: number;
  type: ActionType;
  line: string;
  quantity: string;
  amount: string;
  shipping: boolean;
  reason: string;
  refundReason: string;
  defaultReason: string;
  resolution: string;
  address: string;
  template: string;
  cannedId: string;
  status: string;
  priority: string;
  tags: string;
}

const REPLY_STATUSES = ['open', 'pending', 'on_hold', 'solved'] as const;
/** Action fields the form edits with a choice. */
const FIELD = {
  refundReason: 'refundReason',
  defaultReason: 'defaultReason',
  resolution: 'resolution',
  template: 'template',
  cannedId: 'cannedId',
  status: 'status',
  priority: 'priority',
} as const satisfies Record<string, keyof ActionRow>;
const RESOLUTIONS = ['refund', 'exchange'] as const;
/** The fields of an action that name one of the macro's inputs, and the input type each takes. */
const REF_FIELDS: Partial<Record<ActionType, readonly (readonly [keyof ActionRow, InputType, boolean])[]>> = {
  refund: [
    ['line', 'line', false],
    ['quantity', 'quantity', false],
    ['amount', 'amount', false],
  ],
  open_return: [
    ['line', 'line', true],
    ['quantity', 'quantity', false],
    ['reason', 'reason', false],
  ],
  reship: [
    ['line', 'line', true],
    ['quantity', 'quantity', false],
  ],
  change_address: [['address', 'address', true]],
};

const str = (v: unknown, fallback = '') => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);

function toActionRow(a: Record<string, unknown>, id: number): ActionRow {
  const type = (ACTION_TYPES as readonly string[]).includes(str(a.type)) ? (a.type as ActionType) : 'tag';
  return {
    id,
    type,
    line: str(a.line),
    quantity: str(a.quantity),
    amount: str(a.amount),
    shipping: a.shipping === true,
    reason: type === 'open_return' ? str(a.reason) : '',
    refundReason: type === 'refund' ? str(a.reason, 'goodwill') : 'goodwill',
    defaultReason: str(a.defaultReason, 'other'),
    resolution: str(a.resolution, 'refund'),
    address: str(a.address),
    template: str(a.template, 'order_confirmation'),
    cannedId: str(a.cannedId),
    status: str(a.status, type === 'reply' ? 'pending' : 'solved'),
    priority: str(a.priority, 'normal'),
    tags: Array.isArray(a.tags) ? a.tags.map(String).join(', ') : '',
  };
}

/** The action as the server reads it: only its own fields, input references left out when empty. */
function toAction(r: ActionRow): Record<string, unknown> {
  const ref = (v: string) => (v ? v : undefined);
  switch (r.type) {
    case 'refund':
      return { type: r.type, line: ref(r.line), quantity: ref(r.quantity), amount: ref(r.amount), shipping: r.shipping, reason: r.refundReason };
    case 'cancel_order':
      return { type: r.type, ...(r.reason.trim() ? { reason: r.reason.trim() } : {}) };
    case 'open_return':
      return { type: r.type, line: r.line, quantity: ref(r.quantity), reason: ref(r.reason), defaultReason: r.defaultReason, resolution: r.resolution };
    case 'reship':
      return { type: r.type, line: r.line, quantity: ref(r.quantity) };
    case 'change_address':
      return { type: r.type, address: r.address };
    case 'resend_mail':
      return { type: r.type, template: r.template };
    case 'reply':
      return { type: r.type, cannedId: /^\d+$/.test(r.cannedId) ? Number(r.cannedId) : 0, status: r.status };
    case 'tag':
      return {
        type: r.type,
        tags: r.tags
          .split(/[\s,]+/)
          .map((x) => x.trim())
          .filter(Boolean),
      };
    case 'set_status':
      return { type: r.type, status: r.status };
    case 'set_priority':
      return { type: r.type, priority: r.priority };
  }
}

export interface MacroEditorProps {
  initialInputs: readonly Record<string, unknown>[];
  initialActions: readonly Record<string, unknown>[];
  /** Canned responses a reply can use. */
  canned: { id: number; name: string }[];
  errors?: FieldError[];
  disabled?: boolean;
}

/**
 * The structured editor of a macro's inputs and actions: rows of fields, posted as two JSON fields
 * (`inputs`, `actions`) that the server validates; each refusal shows beside the field it names.
 */
export function MacroEditor({ initialInputs, initialActions, canned, errors, disabled }: MacroEditorProps) {
  const { t } = useTranslation();
  const [next, setNext] = useState(initialInputs.length + initialActions.length + 1);
  const [inputs, setInputs] = useState<InputRow[]>(() =>
    initialInputs.map((i, n) => ({
      id: n,
      key: str(i.key),
      type: (INPUT_TYPES as readonly string[]).includes(str(i.type)) ? (i.type as InputType) : 'text',
      label: str(i.label),
      required: i.required !== false,
    })),
  );
  const [actions, setActions] = useState<ActionRow[]>(() => initialActions.map((a, n) => toActionRow(a, initialInputs.length + n)));
  const err = (field: string) => errors?.find((e) => e.field === field);
  const fresh = () => {
    setNext(next + 1);
    return next;
  };
  const setInput = (id: number, patch: Partial<InputRow>) => setInputs(inputs.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const setAction = (id: number, patch: Partial<ActionRow>) => setActions(actions.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const move = (i: number, by: number) => {
    const list = [...actions];
    const [row] = list.splice(i, 1);
    list.splice(i + by, 0, row);
    setActions(list);
  };
  const keysOf = (type: InputType) => inputs.filter((i) => i.type === type && i.key).map((i) => i.key);

  const selectField = (
    r: ActionRow,
    i: number,
    field: keyof ActionRow,
    label: string,
    options: readonly { value: string; label: string }[],
    blank?: string,
  ) => (
    <label className="field" key={field}>
      <span>{label}</span>
      <select value={String(r[field])} onChange={(e) => setAction(r.id, { [field]: e.currentTarget.value })} data-testid={`action-${i}-${field}`}>
        {blank !== undefined ? <option value="">{blank}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldErrorText error={err(`actions.${i}.${field === 'refundReason' ? 'reason' : field}`)} />
    </label>
  );

  return (
    <div className="macro-editor">
      <input type="hidden" name="inputs" value={JSON.stringify(inputs.map(({ key, type, label, required }) => ({ key, type, label, required })))} />
      <input type="hidden" name="actions" value={JSON.stringify(actions.map(toAction))} />

      <h3>{t('macros.macro.inputs')}</h3>
      <p className="muted small">{t('macros.editor.inputsIntro')}</p>
      <FieldErrorText error={err('inputs')} />
      <ol className="editor-rows" data-testid="macro-inputs">
        {inputs.map((r, i) => (
          <li key={r.id} className="form-grid" data-testid="macro-input-row">
            <label className="field">
              <span>{t('macros.editor.key')}</span>
              <input value={r.key} maxLength={31} onChange={(e) => setInput(r.id, { key: e.currentTarget.value })} />
              <FieldErrorText error={err(`inputs.${i}.key`)} />
            </label>
            <label className="field">
              <span>{t('macros.editor.type')}</span>
              <select value={r.type} onChange={(e) => setInput(r.id, { type: e.currentTarget.value as InputType })}>
                {INPUT_TYPES.map((x) => (
                  <option key={x} value={x}>
                    {t(`macros.inputTypes.${x}`)}
                  </option>
                ))}
              </select>
              <FieldErrorText error={err(`inputs.${i}.type`)} />
            </label>
            <label className="field">
              <span>{t('macros.editor.label')}</span>
              <input value={r.label} maxLength={80} onChange={(e) => setInput(r.id, { label: e.currentTarget.value })} />
              <FieldErrorText error={err(`inputs.${i}.label`)} />
            </label>
            <label className="inline-actions">
              <input type="checkbox" checked={r.required} onChange={(e) => setInput(r.id, { required: e.currentTarget.checked })} />
              <span>{t('macros.editor.required')}</span>
            </label>
            <FieldErrorText error={err(`inputs.${i}`)} />
            {disabled ? null : (
              <button type="button" className="link-button" onClick={() => setInputs(inputs.filter((x) => x.id !== r.id))}>
                {t('macros.editor.remove')}
              </button>
            )}
          </li>
        ))}
      </ol>
      {disabled || inputs.length >= MAX_INPUTS ? null : (
        <button
          type="button"
          onClick={() => setInputs([...inputs, { id: fresh(), key: '', type: 'text', label: '', required: true }])}
          data-testid="macro-add-input"
        >
          {t('macros.editor.addInput')}
        </button>
      )}

      <h3 className="spaced">{t('macros.macro.actions')}</h3>
      <p className="muted small">{t('macros.editor.actionsIntro')}</p>
      <FieldErrorText error={err('actions')} />
      <ol className="editor-rows" data-testid="macro-actions">
        {actions.map((r, i) => {
          const refs = (REF_FIELDS[r.type] ?? []).map(([field, type, required]) =>
            selectField(
              r,
              i,
              field,
              t(`macros.editor.ref.${type}`),
              keysOf(type).map((k) => ({ value: k, label: k })),
              required ? undefined : t('macros.editor.none'),
            ),
          );
          return (
            <li key={r.id} className="card" data-testid="macro-action-row">
              <div className="form-grid">
                <label className="field">
                  <span>{t('macros.editor.step', { row: i + 1 })}</span>
                  <select value={r.type} onChange={(e) => setAction(r.id, { type: e.currentTarget.value as ActionType })} data-testid={`action-${i}-type`}>
                    {ACTION_TYPES.map((x) => (
                      <option key={x} value={x}>
                        {t(`macros.actions.${x}.label`)}
                      </option>
                    ))}
                  </select>
                  <FieldErrorText error={err(`actions.${i}.type`) ?? err(`actions.${i}`)} />
                </label>
                {refs}
                {r.type === 'refund' ? (
                  <>
                    {selectField(
                      r,
                      i,
                      FIELD.refundReason,
                      t('macros.editor.refundReason'),
                      REFUND_REASONS.map((x) => ({ value: x, label: t(`orderActions.refundReasons.${x}`) })),
                    )}
                    <label className="inline-actions">
                      <input type="checkbox" checked={r.shipping} onChange={(e) => setAction(r.id, { shipping: e.currentTarget.checked })} />
                      <span>{t('macros.editor.shipping')}</span>
                    </label>
                  </>
                ) : null}
                {r.type === 'open_return' ? (
                  <>
                    {selectField(
                      r,
                      i,
                      FIELD.defaultReason,
                      t('macros.editor.defaultReason'),
                      RETURN_REASONS.map((x) => ({ value: x, label: t(`returnReasons.${x}`) })),
                    )}
                    {selectField(
                      r,
                      i,
                      FIELD.resolution,
                      t('macros.editor.resolution'),
                      RESOLUTIONS.map((x) => ({ value: x, label: t(`orderActions.resolutions.${x}`) })),
                    )}
                  </>
                ) : null}
                {r.type === 'cancel_order' ? (
                  <label className="field">
                    <span>{t('macros.editor.cancelReason')}</span>
                    <input value={r.reason} maxLength={200} onChange={(e) => setAction(r.id, { reason: e.currentTarget.value })} />
                    <FieldErrorText error={err(`actions.${i}.reason`)} />
                  </label>
                ) : null}
                {r.type === 'resend_mail'
                  ? selectField(
                      r,
                      i,
                      FIELD.template,
                      t('macros.editor.template'),
                      RESEND_TEMPLATES.map((x) => ({ value: x, label: t(`macros.templates.${x}`) })),
                    )
                  : null}
                {r.type === 'reply' ? (
                  <>
                    {selectField(
                      r,
                      i,
                      FIELD.cannedId,
                      t('macros.editor.canned'),
                      canned.map((c) => ({ value: String(c.id), label: c.name })),
                      t('macros.picker.choose'),
                    )}
                    {selectField(
                      r,
                      i,
                      FIELD.status,
                      t('macros.editor.replyStatus'),
                      REPLY_STATUSES.map((x) => ({ value: x, label: t(`macros.statuses.${x}`) })),
                    )}
                  </>
                ) : null}
                {r.type === 'set_status'
                  ? selectField(
                      r,
                      i,
                      FIELD.status,
                      t('macros.editor.status'),
                      MACRO_STATUSES.map((x) => ({ value: x, label: t(`macros.statuses.${x}`) })),
                    )
                  : null}
                {r.type === 'set_priority'
                  ? selectField(
                      r,
                      i,
                      FIELD.priority,
                      t('macros.editor.priority'),
                      MACRO_PRIORITIES.map((x) => ({ value: x, label: t(`macros.priorities.${x}`) })),
                    )
                  : null}
                {r.type === 'tag' ? (
                  <label className="field">
                    <span>{t('macros.editor.tags')}</span>
                    <input value={r.tags} maxLength={400} onChange={(e) => setAction(r.id, { tags: e.currentTarget.value })} data-testid={`action-${i}-tags`} />
                    <FieldErrorText error={errors?.find((e) => e.field.startsWith(`actions.${i}.tags`))} />
                  </label>
                ) : null}
              </div>
              {disabled ? null : (
                <div className="inline-actions">
                  <button type="button" className="link-button" disabled={i === 0} onClick={() => move(i, -1)}>
                    {t('macros.editor.up')}
                  </button>
                  <button type="button" className="link-button" disabled={i === actions.length - 1} onClick={() => move(i, 1)}>
                    {t('macros.editor.down')}
                  </button>
                  <button type="button" className="link-button" onClick={() => setActions(actions.filter((x) => x.id !== r.id))}>
                    {t('macros.editor.remove')}
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {disabled || actions.length >= MAX_ACTIONS ? null : (
        <button type="button" onClick={() => setActions([...actions, toActionRow({ type: 'tag' }, fresh())])} data-testid="macro-add-action">
          {t('macros.editor.addAction')}
        </button>
      )}
    </div>
  );
}
