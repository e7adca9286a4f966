// What a macro is: the inputs it asks the agent for and the actions it runs in order. Pure (shared by
// the settings screen, the ticket's macro panel and macros.server.ts). Every check's message is a short
// code: the UI shows `macros.errors.<code>`.
import { z } from 'zod';
import { RETURN_REASONS } from '../../../entities/constants.ts';
import { REFUND_REASONS } from '../payments/refund-reasons.ts';

export const INPUT_TYPES = ['line', 'quantity', 'amount', 'text', 'reason', 'address'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export const ACTION_TYPES = [
  'refund',
  'cancel_order',
  'open_return',
  'reship',
  'change_address',
  'resend_mail',
  'reply',
  'tag',
  'set_status',
  'set_priority',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
/** Actions that change the order (audited on the order too, and need the ticket to have one). */
export const ORDER_ACTIONS: readonly ActionType[] = ['refund', 'cancel_order', 'open_return', 'reship', 'change_address', 'resend_mail'];

export const RESEND_TEMPLATES = ['order_confirmation', 'order_shipped'] as const;
export const MACRO_STATUSES = ['open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export const MACRO_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const MAX_INPUTS = 10;
export const MAX_ACTIONS = 20;

const Key = z
  .string({ error: 'inputKey' })
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,30}$/, 'inputKey');
/** An action's reference to one of the macro's inputs (by key). */
const Ref = Key.optional();

export const MacroInputDef = z.strictObject({
  key: Key,
  type: z.enum(INPUT_TYPES, { error: 'inputType' }),
  label: z.string({ error: 'inputLabel' }).trim().min(1, 'inputLabel').max(80, 'inputLabel'),
  required: z.boolean().default(true),
});
export type MacroInputDef = z.infer<typeof MacroInputDef>;

export const MacroAction = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('refund'),
      line: Ref,
      quantity: Ref,
      amount: Ref,
      shipping: z.boolean().default(false),
      reason: z.enum(REFUND_REASONS, { error: 'refundReason' }).default('goodwill'),
    }),
    z.strictObject({ type: z.literal('cancel_order'), reason: z.string().trim().max(200).optional() }),
    z.strictObject({
      type: z.literal('open_return'),
      line: Key,
      quantity: Ref,
      reason: Ref,
      defaultReason: z.enum(RETURN_REASONS, { error: 'returnReason' }).default('other'),
      resolution: z.enum(['refund', 'exchange'], { error: 'resolution' }).default('refund'),
    }),
    z.strictObject({ type: z.literal('reship'), line: Key, quantity: Ref }),
    z.strictObject({ type: z.literal('change_address'), address: Key }),
    z.strictObject({ type: z.literal('resend_mail'), template: z.enum(RESEND_TEMPLATES, { error: 'template' }) }),
    z.strictObject({
      type: z.literal('reply'),
      cannedId: z.number({ error: 'cannedId' }).int('cannedId').positive('cannedId'),
      status: z.enum(['open', 'pending', 'on_hold', 'solved'], { error: 'status' }).default('pending'),
    }),
    z.strictObject({
      type: z.literal('tag'),
      tags: z.array(z.string().trim().toLowerCase().min(1, 'tags').max(40, 'tags')).min(1, 'tags').max(10, 'tags'),
    }),
    z.strictObject({ type: z.literal('set_status'), status: z.enum(MACRO_STATUSES, { error: 'status' }) }),
    z.strictObject({ type: z.literal('set_priority'), priority: z.enum(MACRO_PRIORITIES, { error: 'priority' }) }),
  ],
  { error: 'actionType' },
);
export type MacroAction = z.infer<typeof MacroAction>;

/** The fields of an action that name inputs, and the input type each must have. */
const REFS: Partial<Record<ActionType, Record<string, InputType>>> = {
  refund: { line: 'line', quantity: 'quantity', amount: 'amount' },
  open_return: { line: 'line', quantity: 'quantity', reason: 'reason' },
  reship: { line: 'line', quantity: 'quantity' },
  change_address: { address: 'address' },
};

export const MacroDefinition = z
  .object({
    name: z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong'),
    inputs: z.array(MacroInputDef, { error: 'inputsInvalid' }).max(MAX_INPUTS, 'inputsTooMany'),
    actions: z.array(MacroAction, { error: 'actionsInvalid' }).min(1, 'actionsRequired').max(MAX_ACTIONS, 'actionsTooMany'),
    active: z.boolean().default(true),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.inputs.forEach((i, n) => {
      if (seen.has(i.key)) ctx.addIssue({ code: 'custom', message: 'inputKeyTaken', path: ['inputs', n, 'key'], params: { value: i.key } });
      seen.add(i.key);
    });
    m.actions.forEach((a, n) => {
      for (const [field, type] of Object.entries(REFS[a.type] ?? {})) {
        const ref = (a as Record<string, unknown>)[field];
        if (ref === undefined) continue;
        const input = m.inputs.find((i) => i.key === ref);
        if (!input || input.type !== type)
          ctx.addIssue({ code: 'custom', message: 'inputRef', path: ['actions', n, field], params: { value: String(ref), type } });
      }
      if (a.type === 'refund' && !a.line && !a.amount && !a.shipping)
        ctx.addIssue({ code: 'custom', message: 'refundWhat', path: ['actions', n, 'type'], params: { value: a.type } });
      if (a.type === 'refund' && a.quantity && !a.line)
        ctx.addIssue({ code: 'custom', message: 'inputRef', path: ['actions', n, 'line'], params: { value: '', type: 'line' } });
    });
    if (m.actions.filter((a) => a.type === 'refund').length > 1)
      ctx.addIssue({ code: 'custom', message: 'oneRefund', path: ['actions'], params: { value: 'refund' } });
  });
export type MacroDefinition = z.infer<typeof MacroDefinition>;

/** A run's status. */
export const RUN_STATUSES = ['running', 'awaiting_approval', 'done', 'rejected', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
