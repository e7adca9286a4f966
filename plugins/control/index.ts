import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { ROLES } from '../../entities/constants.ts';
import { DURATION_PATTERN } from '../../workflows/duration.ts';

/** A duration like 90s, 10m, 2h, 3d (or 1h30m). */
export const Duration = z
  .string()
  .trim()
  .regex(DURATION_PATTERN)
  .refine((s) => s.length > 0, 'empty');
const Expression = z.string().trim().min(1).max(2000);

const TRIGGER_EVENTS = [
  'order.created',
  'return.requested',
  'stock.low',
  'schedule',
  'manual',
  'ticket.created',
  'ticket.sla_warning',
  'ticket.sla_breached',
  'ticket.solved',
] as const;
export const SIGNALS = ['payment_confirmed', 'packed', 'delivered', 'goods_received', 'custom'] as const;

export const control: Plugin = {
  id: 'control',
  nodes: [
    defineNode({
      type: 'control.trigger',
      category: 'trigger',
      labelKey: 'nodes.control.trigger.label',
      descriptionKey: 'nodes.control.trigger.description',
      config: z.object({
        event: z.enum(TRIGGER_EVENTS),
        cron: z.string().max(100).optional(),
        // SLA timers, run inside the workflow: alert when `slaNode` has not run `slaAfter` after the
        // start, and when `shipNode` has not run `shipMargin` before the payload's promisedBy.
        slaNode: z.string().max(60).optional(),
        slaAfter: Duration.optional(),
        shipNode: z.string().max(60).optional(),
        shipMargin: Duration.optional(),
      }),
      outputs: ['out'],
      requiredOutputs: ['out'],
      run: { kind: 'control', primitive: 'trigger' },
    }),
    defineNode({
      type: 'control.condition',
      category: 'control',
      labelKey: 'nodes.control.condition.label',
      descriptionKey: 'nodes.control.condition.description',
      config: z.object({ expression: Expression }),
      outputs: ['true', 'false'],
      requiredOutputs: ['true', 'false'],
      run: { kind: 'control', primitive: 'condition' },
    }),
    defineNode({
      type: 'control.switch',
      category: 'control',
      labelKey: 'nodes.control.switch.label',
      descriptionKey: 'nodes.control.switch.description',
      config: z.object({
        expression: Expression,
        cases: z
          .array(z.object({ value: z.string().max(200), handle: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/) }))
          .min(1)
          .max(20),
      }),
      outputs: (c: { cases: { handle: string }[] }) => [...c.cases.map((x) => x.handle), 'default'],
      run: { kind: 'control', primitive: 'switch' },
    }),
    defineNode({
      type: 'control.split',
      category: 'control',
      labelKey: 'nodes.control.split.label',
      descriptionKey: 'nodes.control.split.description',
      config: z.object({
        branches: z
          .array(z.string().regex(/^[a-z][a-z0-9_]{0,30}$/))
          .min(2)
          .max(10),
      }),
      outputs: (c: { branches: string[] }) => c.branches,
      requiredOutputs: [],
      run: { kind: 'control', primitive: 'split' },
    }),
    defineNode({
      type: 'control.join',
      category: 'control',
      labelKey: 'nodes.control.join.label',
      descriptionKey: 'nodes.control.join.description',
      config: z.object({}),
      outputs: ['out'],
      requiredOutputs: ['out'],
      run: { kind: 'control', primitive: 'join' },
    }),
    defineNode({
      type: 'control.delay',
      category: 'control',
      labelKey: 'nodes.control.delay.label',
      descriptionKey: 'nodes.control.delay.description',
      config: z.object({ duration: Duration }),
      outputs: ['out'],
      requiredOutputs: ['out'],
      run: { kind: 'control', primitive: 'delay' },
    }),
    defineNode({
      type: 'control.signal',
      category: 'control',
      labelKey: 'nodes.control.signal.label',
      descriptionKey: 'nodes.control.signal.description',
      config: z.object({ signal: z.enum(SIGNALS), name: z.string().max(60).optional(), timeout: Duration.optional() }),
      outputs: ['received', 'timeout'],
      requiredOutputs: ['received'],
      run: { kind: 'control', primitive: 'signal' },
    }),
    defineNode({
      type: 'control.human',
      category: 'control',
      labelKey: 'nodes.control.human.label',
      descriptionKey: 'nodes.control.human.description',
      config: z.object({ title: z.string().trim().min(1).max(200), roles: z.array(z.enum(ROLES)).min(1), timeout: Duration.default('2d') }),
      outputs: ['approved', 'rejected', 'timeout'],
      requiredOutputs: ['approved', 'rejected'],
      run: { kind: 'control', primitive: 'human' },
    }),
    defineNode({
      type: 'control.subflow',
      category: 'control',
      labelKey: 'nodes.control.subflow.label',
      descriptionKey: 'nodes.control.subflow.description',
      config: z.object({ definition: z.string().trim().min(1).max(100) }),
      outputs: ['ok', 'error'],
      requiredOutputs: ['ok'],
      run: { kind: 'control', primitive: 'subflow' },
    }),
    defineNode({
      type: 'control.end',
      category: 'control',
      labelKey: 'nodes.control.end.label',
      descriptionKey: 'nodes.control.end.description',
      config: z.object({ result: z.enum(['complete', 'fail', 'compensate']).default('complete'), message: z.string().max(300).optional() }),
      outputs: [],
      run: { kind: 'control', primitive: 'end' },
    }),
  ],
};
