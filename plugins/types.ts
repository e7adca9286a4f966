// A plugin is one folder in plugins/ declaring node types. Each node type says what it is called
// (i18n keys), how it is configured (a zod schema the canvas renders a form from), which handles
// leave it, and how it runs: a control primitive inside the workflow, or an activity (I/O) with the
// compensation that undoes it.
import type { z } from 'zod';
import type { ControlPrimitive } from '../workflows/graph.ts';

export const CATEGORIES = ['trigger', 'control', 'orders', 'returns', 'inventory', 'notifications', 'service', 'integrations'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface NodeType<C extends z.ZodType = z.ZodType> {
  type: string;
  category: Category;
  /** i18n keys: `nodes.<type>.label` and `nodes.<type>.description` by convention. */
  labelKey: string;
  descriptionKey: string;
  config: C;
  /** Output handles, fixed or derived from the node's config (switch cases, split branches). */
  outputs: readonly string[] | ((config: z.infer<C>) => string[]);
  /** Handles that must be wired for the graph to publish (others may stay open). */
  requiredOutputs?: readonly string[];
  run:
    | { kind: 'control'; primitive: ControlPrimitive }
    | {
        kind: 'activity';
        activity: string;
        compensation?: string;
        timeoutMs?: number;
        retries?: number;
        /**
         * A quick step on our own database only (no call to a gateway, carrier or mail server): the
         * interpreter runs it as a Temporal local activity, inside the workflow task, which spares the
         * history several events and the server a task round trip per step. Idempotent by its key like any other.
         */
        local?: boolean;
      };
}

export interface Plugin {
  id: string;
  nodes: NodeType[];
}

export const defineNode = <C extends z.ZodType>(node: NodeType<C>): NodeType => node as unknown as NodeType;
