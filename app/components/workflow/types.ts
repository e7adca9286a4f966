// What the flow designer page passes between its route, hooks and panels (browser-safe types only).
import type { Graph } from '../../../workflows/graph.ts';
import type { FieldError } from '../../lib/problem.ts';
import type { GraphDiff } from '../../modules/workflows/diff.ts';
import type { Simulation } from '../../modules/workflows/simulate.ts';

/** The designer route's action answer: a save, a publish or rollback, or a simulation. */
export type DesignerActionData = {
  savedAt?: string;
  published?: number;
  renamed?: boolean;
  errors?: FieldError[];
  error?: { code: string; params?: Record<string, string | number> };
  simulation?: Simulation & { event: string; orderNumber: string | null };
};

/** Two published versions compared (?from=&to=): both graphs, the newer with the removed steps laid over it, and the diff. */
export interface Comparison {
  from: number;
  to: number;
  older: Graph;
  newer: Graph;
  shown: Graph;
  diff: GraphDiff;
}

/** A published version as the designer lists it (newest first). */
export interface VersionView {
  id: number;
  number: number;
  message: string | null;
  author: string | null;
  publishedAt: string;
}
