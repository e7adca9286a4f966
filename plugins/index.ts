// The node catalogue: every node type of every plugin, by type.
import { control } from './control/index.ts';
import { orders } from './orders/index.ts';
import { returns } from './returns/index.ts';
import { inventory } from './inventory/index.ts';
import { notifications } from './notifications/index.ts';
import { service } from './service/index.ts';
import { http } from './http/index.ts';
import type { NodeType, Plugin } from './types.ts';

/** Every plugin: the built-in ones, then those registered at start (plugins/external.ts). */
export const PLUGINS: Plugin[] = [control, orders, returns, inventory, notifications, service, http];

const types = new Map<string, NodeType>(PLUGINS.flatMap((p) => p.nodes.map((n) => [n.type, n] as const)));
export const NODE_TYPES: ReadonlyMap<string, NodeType> = types;

/** Adds a plugin's node types to the catalogue (once: registering the same plugin again changes nothing). */
export function registerPlugin(plugin: Plugin): void {
  if (PLUGINS.some((p) => p.id === plugin.id)) return;
  for (const n of plugin.nodes) if (types.has(n.type)) throw new Error(`node type ${n.type} is taken`);
  PLUGINS.push(plugin);
  for (const n of plugin.nodes) types.set(n.type, n);
}

export function nodeType(type: string): NodeType | undefined {
  return NODE_TYPES.get(type);
}

export function outputsOf(node: NodeType, config: unknown): string[] {
  return typeof node.outputs === 'function' ? node.outputs(config as never) : [...node.outputs];
}

export type { NodeType, Plugin } from './types.ts';
