// What every business node activity shares: who acts, where the subject comes from, how keys are
// derived, and how refusals of the domain become failures Temporal does not retry.
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import type { NodeActivityInput, NodeActivityResult } from '../../workflows/graph.ts';

export interface NodeDeps {
  orm: MikroORM;
}

export type NodeActivity = (input: NodeActivityInput) => Promise<NodeActivityResult>;

/** Every change a node makes is recorded as the workflow run's doing. */
export const workflowActor = (input: NodeActivityInput): Actor => ({ type: 'system', label: `workflow ${input.workflowId}` });

const UNDO = ':undo';

/** The key of the step a compensation undoes (the interpreter suffixes ':undo'). */
export const originalKey = (key: string): string => (key.endsWith(UNDO) ? key.slice(0, -UNDO.length) : key);

/** Short, stable hex digest of a key, for numbers derived from it (PO-…, RMA-…). */
export const keyDigest = (key: string, length: number): string => crypto.createHash('sha256').update(key).digest('hex').slice(0, length).toUpperCase();

type SubjectField = 'orderId' | 'returnId' | 'levelId' | 'purchaseOrderId';

const asId = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
};

/**
 * The id of the run's subject: from the trigger payload first, else from the latest earlier node
 * output that carries it (an RMA created by returns.createRma, a PO drafted by inventory.draftPo).
 */
export function subjectId(input: NodeActivityInput, field: SubjectField): number | null {
  const fromTrigger = asId(input.context.trigger.payload?.[field]);
  if (fromTrigger !== null) return fromTrigger;
  let found: number | null = null;
  for (const output of Object.values(input.context.nodes ?? {})) {
    const id = asId(output?.[field]);
    if (id !== null) found = id;
  }
  return found;
}

export function requireSubject(input: NodeActivityInput, field: SubjectField): number {
  const id = subjectId(input, field);
  if (id === null)
    throw ApplicationFailure.nonRetryable(`Node ${input.nodeId} needs ${field} in the trigger payload or an earlier node's output.`, 'missing_subject');
  return id;
}

/**
 * Wraps an activity: a refusal by the domain (a DomainError below 500: illegal move, unknown
 * order, bad input) will refuse again on retry, so it fails the step at once (non-retryable,
 * typed by its code); anything else is thrown as is and Temporal retries it.
 */
export function nodeActivity(run: NodeActivity): NodeActivity {
  return async (input) => {
    try {
      return await run(input);
    } catch (e) {
      if (e instanceof DomainError && e.status < 500) throw ApplicationFailure.nonRetryable(e.message, e.code, e.toJSON());
      throw e;
    }
  };
}

export const isDomainError = (e: unknown, ...codes: string[]): e is DomainError => e instanceof DomainError && (codes.length === 0 || codes.includes(e.code));
