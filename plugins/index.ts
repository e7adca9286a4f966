// The node catalogue: every node type of every plugin, by type.
import { control } from './control/index.ts';
import { orders } from './orders/index.ts';
import { returns } from './returns/index.ts';
import { inventory } from './inventory/index.ts';
import { notifications } from './notifications/index.ts';
import { service } from './service/index.ts';
import { http } from './http/index.ts';
import type { NodeType, Plugin } from './types.ts';

export const PLUGINS: Plugin[] = [control, orders, returns, inventory, notifications, service, http];

export const NODE_TYPES: ReadonlyMap<string, NodeType> = new Map(PLUGINS.flatMap((p) => p.nodes.map((n) => [n.type, n] as const)));

export function nodeType(type: string): NodeType | undefined {
  return NODE_TYPES.get(type);
}

export function outputsOf(node: NodeType, config: unknown): string[] {
  return typeof node.outputs === 'function' ? node.outputs(config as never) : [...node.outputs];
}

export type { NodeType, Plugin } from './types.ts';
