// Plugins from outside the built-in catalogue: a folder or an npm package named in OMS_PLUGINS whose
// default export is an ExternalPlugin (its node types, their activities and their translations). The
// worker and the web process load them at start (app/lib/plugins.server.ts); the browser gets their node
// types as descriptors (JSON Schema configs) and rebuilds them here, so the designer draws, configures
// and validates a plugin's steps exactly like the built-in ones. A plugin that breaks a rule is refused
// with the reason, never half-registered.
import { z } from 'zod';
import { LOCALES, type Locale } from '../entities/constants.ts';
import type { NodeActivityInput, NodeActivityResult } from '../workflows/graph.ts';
import { CATEGORIES, type Category, type NodeType, type Plugin } from './types.ts';

export type PluginActivity = (input: NodeActivityInput) => Promise<NodeActivityResult>;

/** What a plugin package exports as its default. */
export interface ExternalPlugin extends Plugin {
  /** Its label and description texts, per language: found under `plugins.<id>.` by the node types' keys. */
  locales: Record<Locale, Record<string, unknown>>;
  /** The activities its node types run, by activity name (`<id>.<name>`); given the worker's ORM. */
  activities: (deps: { orm: unknown }) => Record<string, PluginActivity>;
}

/** A node type as the browser receives it: the config as JSON Schema. */
export interface NodeDescriptor {
  type: string;
  category: Category;
  labelKey: string;
  descriptionKey: string;
  outputs: string[];
  requiredOutputs: string[];
  activity: string;
  config: Record<string, unknown>;
}

/** A loaded plugin as the browser receives it. */
export interface PluginDescriptor {
  id: string;
  nodes: NodeDescriptor[];
  locales: Record<Locale, Record<string, unknown>>;
}

const ID = /^[a-z][a-z0-9-]{1,39}$/;

const get = (tree: unknown, key: string) =>
  key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), tree);

const isZod = (v: unknown): v is z.ZodType => !!v && typeof v === 'object' && '_zod' in v;

/**
 * The plugin `value` (a module's default export) checked against the rules, or an Error saying what is
 * wrong: an id of its own; node types named `<id>.<name>` that are not taken; a known category; label
 * and description keys under `plugins.<id>.` with a text in every language; a zod object config whose
 * fields the designer can render; fixed exits; an activity of its own for each step.
 */
export function checkPlugin(value: unknown, taken: { plugins: ReadonlySet<string>; types: ReadonlySet<string> }): ExternalPlugin {
  const fail = (why: string): never => {
    throw new Error(why);
  };
  if (!value || typeof value !== 'object') fail('its default export is not a plugin object');
  const p = value as Partial<ExternalPlugin>;
  if (typeof p.id !== 'string' || !ID.test(p.id)) fail('its id must be 2–40 lower-case letters, digits or dashes');
  const id = p.id!;
  if (taken.plugins.has(id)) fail(`the id "${id}" is taken by another plugin`);
  if (!Array.isArray(p.nodes) || !p.nodes.length) fail('it declares no node types');
  if (typeof p.activities !== 'function') fail('it has no activities(deps) function');
  for (const lng of LOCALES) if (!p.locales || typeof p.locales[lng] !== 'object') fail(`it has no ${lng} translations`);
  for (const n of p.nodes as NodeType[]) {
    const where = `node type ${String(n?.type)}`;
    if (typeof n?.type !== 'string' || !n.type.startsWith(`${id}.`)) fail(`${where}: types must be named "${id}.<name>"`);
    if (taken.types.has(n.type)) fail(`${where}: the type is taken`);
    if (!(CATEGORIES as readonly string[]).includes(n.category)) fail(`${where}: unknown category "${String(n.category)}"`);
    for (const key of [n.labelKey, n.descriptionKey]) {
      if (typeof key !== 'string' || !key.startsWith(`plugins.${id}.`)) fail(`${where}: its texts must be keys under "plugins.${id}."`);
      for (const lng of LOCALES) if (typeof get({ plugins: { [id]: p.locales![lng] } }, key) !== 'string') fail(`${where}: no ${lng} text for ${key}`);
    }
    if (!isZod(n.config) || n.config._zod.def.type !== 'object') fail(`${where}: its config must be a zod object`);
    try {
      fromJsonSchema(z.toJSONSchema(n.config, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>);
    } catch (e) {
      fail(`${where}: the designer cannot render its config (${(e as Error).message})`);
    }
    if (!Array.isArray(n.outputs) || !n.outputs.every((o) => typeof o === 'string' && /^[a-z][a-z0-9_]{0,30}$/.test(o)))
      fail(`${where}: its exits must be a fixed list of names`);
    if (n.run?.kind !== 'activity' || typeof n.run.activity !== 'string' || !n.run.activity.startsWith(`${id}.`))
      fail(`${where}: it must run an activity of its own ("${id}.<name>")`);
  }
  return p as ExternalPlugin;
}

/** A loaded plugin as the browser receives it. */
export function describePlugin(p: ExternalPlugin): PluginDescriptor {
  return {
    id: p.id,
    locales: p.locales,
    nodes: p.nodes.map((n) => ({
      type: n.type,
      category: n.category,
      labelKey: n.labelKey,
      descriptionKey: n.descriptionKey,
      outputs: [...(n.outputs as readonly string[])],
      requiredOutputs: [...(n.requiredOutputs ?? [])],
      activity: n.run.kind === 'activity' ? n.run.activity : '',
      config: z.toJSONSchema(n.config, { io: 'input' }) as Record<string, unknown>,
    })),
  };
}

/** The node types of a described plugin, rebuilt for the browser's catalogue. */
export function nodesOf(d: PluginDescriptor): NodeType[] {
  return d.nodes.map((n) => ({
    type: n.type,
    category: n.category,
    labelKey: n.labelKey,
    descriptionKey: n.descriptionKey,
    config: fromJsonSchema(n.config),
    outputs: n.outputs,
    requiredOutputs: n.requiredOutputs,
    run: { kind: 'activity', activity: n.activity },
  }));
}

type Json = Record<string, unknown>;

/**
 * A zod schema from the JSON Schema of a plugin's config, for the kinds of field the designer's form
 * renders: text (with length limits), numbers and integers (with bounds), yes/no, a choice (enum), a list
 * of choices, each optional or with a default. Anything else is refused, so a plugin cannot ship a
 * setting the form would silently drop.
 */
export function fromJsonSchema(schema: Json): z.ZodObject {
  if (schema.type !== 'object' || typeof schema.properties !== 'object') throw new Error('not an object');
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const shape: Record<string, z.ZodType> = {};
  for (const [key, raw] of Object.entries(schema.properties as Record<string, Json>)) {
    let field = fieldOf(key, raw);
    if (raw.default !== undefined) field = (field as z.ZodString).default(raw.default as never);
    else if (!required.has(key)) field = field.optional();
    shape[key] = field;
  }
  return z.object(shape);
}

function fieldOf(key: string, s: Json): z.ZodType {
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) return z.enum(s.enum as [string, ...string[]]);
  switch (s.type) {
    case 'string': {
      let f = z.string();
      if (typeof s.minLength === 'number') f = f.min(s.minLength);
      if (typeof s.maxLength === 'number') f = f.max(s.maxLength);
      return f;
    }
    case 'number':
    case 'integer': {
      let f = s.type === 'integer' ? z.number().int() : z.number();
      if (typeof s.minimum === 'number') f = f.min(s.minimum);
      if (typeof s.maximum === 'number') f = f.max(s.maximum);
      return f;
    }
    case 'boolean':
      return z.boolean();
    case 'array': {
      const items = s.items as Json | undefined;
      if (items && Array.isArray(items.enum)) {
        let f = z.array(z.enum(items.enum as [string, ...string[]]));
        if (typeof s.maxItems === 'number') f = f.max(s.maxItems);
        return f;
      }
      throw new Error(`field ${key}: only lists of choices are supported`);
    }
    default:
      throw new Error(`field ${key}: ${String(s.type)} is not supported`);
  }
}
