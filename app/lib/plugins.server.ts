// Loads the plugins named in OMS_PLUGINS (comma-separated: a folder, relative to the project or absolute,
// holding index.ts or index.js; or an npm package name) at the start of the worker and the web process:
// each is imported, checked (plugins/external.ts) and its node types and translations registered. A
// plugin that cannot be imported or breaks a rule is refused with the reason and the rest start without
// it: a broken plugin never stops the console.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LOCALES } from '../../entities/constants.ts';
import { NODE_TYPES, PLUGINS, registerPlugin } from '../../plugins/index.ts';
import { checkPlugin, describePlugin, type ExternalPlugin, type PluginActivity, type PluginDescriptor } from '../../plugins/external.ts';
import { resources } from './i18n.ts';

export interface PluginLoad {
  loaded: ExternalPlugin[];
  refused: { spec: string; reason: string }[];
}

const loaded = new Map<string, ExternalPlugin>();

/** OMS_PLUGINS as a list ('' or unset: none). */
export function pluginSpecs(env: Record<string, string | undefined> = process.env): string[] {
  return (env.OMS_PLUGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Where a spec's module is: a folder's index file, a file, or a package name as it is. */
function moduleOf(spec: string, root: string): string {
  if (!/^(\.{1,2}\/|\/)/.test(spec)) return spec;
  const at = path.resolve(root, spec);
  for (const candidate of [at, path.join(at, 'index.ts'), path.join(at, 'index.js'), path.join(at, 'index.mjs')])
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return pathToFileURL(candidate).href;
  throw new Error(`no plugin at ${at} (a folder with index.ts or index.js)`);
}

/** The project's folder (this file is app/lib/plugins.server.ts, or inside the build's server bundle). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Imports, checks and registers each plugin named (once per process). */
export async function loadExternalPlugins(
  specs: string[] = pluginSpecs(),
  opts: { root?: string; log?: { info: (m: string) => void; warn: (m: string) => void } } = {},
): Promise<PluginLoad> {
  const log = opts.log ?? { info: (m: string) => console.log(`[plugins] ${m}`), warn: (m: string) => console.warn(`[plugins] ${m}`) };
  const root = opts.root ?? projectRoot();
  const result: PluginLoad = { loaded: [], refused: [] };
  for (const spec of specs) {
    try {
      const mod = (await import(moduleOf(spec, root))) as { default?: unknown };
      const candidate = mod.default as Partial<ExternalPlugin> | undefined;
      const again = candidate?.id ? loaded.get(candidate.id) : undefined;
      if (again) {
        result.loaded.push(again);
        continue;
      }
      const plugin = checkPlugin(candidate, { plugins: new Set(PLUGINS.map((p) => p.id)), types: new Set(NODE_TYPES.keys()) });
      registerPlugin(plugin);
      for (const lng of LOCALES) {
        const common = resources[lng].common as unknown as { plugins?: Record<string, unknown> };
        common.plugins = { ...common.plugins, [plugin.id]: plugin.locales[lng] };
      }
      loaded.set(plugin.id, plugin);
      result.loaded.push(plugin);
      log.info(`loaded ${plugin.id} (${plugin.nodes.map((n) => n.type).join(', ')}) from ${spec}`);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      result.refused.push({ spec, reason });
      log.warn(`refused ${spec}: ${reason}`);
    }
  }
  return result;
}

/** The loaded plugins as the browser gets them (node types with JSON Schema configs, and their texts). */
export function pluginDescriptors(): PluginDescriptor[] {
  return [...loaded.values()].map(describePlugin);
}

/**
 * The activities of the loaded plugins for the worker. A node type whose activity the plugin does not
 * provide is a refusal at load time in the worker: it is reported, and its steps fail as unknown activities.
 */
export function pluginActivities(deps: { orm: unknown }, log?: { warn: (m: string) => void }): Record<string, PluginActivity> {
  const all: Record<string, PluginActivity> = {};
  for (const p of loaded.values()) {
    const acts = p.activities(deps);
    for (const n of p.nodes) {
      const name = n.run.kind === 'activity' ? n.run.activity : '';
      if (typeof acts[name] !== 'function') log?.warn(`${p.id}: no activity ${name} for ${n.type}`);
    }
    for (const [name, fn] of Object.entries(acts)) if (name.startsWith(`${p.id}.`) && typeof fn === 'function') all[name] = fn;
  }
  return all;
}
