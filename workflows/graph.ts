// The workflow graph as the canvas edits it (React Flow's own shape), and the compiled plan the
// interpreter runs. Pure types and data: imported by the app, the designer and the workflow sandbox.

export interface GraphNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  /** `label`: the step's own name; `labels`: that name per language (the canvas shows the reader's, else `label`, else the type's name). */
  data: { label?: string; labels?: Partial<Record<'en' | 'zh-CN' | 'zh-TW', string>>; config?: Record<string, unknown> };
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export type ControlPrimitive = 'trigger' | 'condition' | 'switch' | 'split' | 'join' | 'delay' | 'signal' | 'human' | 'subflow' | 'end';

/** One node as the interpreter needs it: what it is, its config, and where each handle leads. */
export interface PlanNode {
  id: string;
  type: string;
  label: string;
  kind: 'control' | 'activity';
  primitive?: ControlPrimitive;
  activity?: string;
  compensation?: string;
  /** Runs as a local activity (a quick step on our own database; see plugins/types.ts). */
  local?: boolean;
  timeoutMs: number;
  retries: number;
  config: Record<string, unknown>;
  /** handle → target node ids */
  next: Record<string, string[]>;
  /** Number of edges that lead into this node (joins wait for all of them). */
  incoming: number;
}

export interface Plan {
  /** sha256 of the graph JSON, the version's identity. */
  hash: string;
  trigger: string;
  nodes: Record<string, PlanNode>;
}

/** What every activity node receives. `key` is stable across retries and replays: workflow id + node id + visit. */
export interface NodeActivityInput {
  key: string;
  workflowId: string;
  nodeId: string;
  config: Record<string, unknown>;
  context: RunContext;
}

export interface NodeActivityResult {
  handle?: string;
  output?: Record<string, unknown>;
}

export interface RunContext {
  trigger: { type: string; payload: Record<string, unknown> };
  nodes: Record<string, Record<string, unknown> | undefined>;
}
