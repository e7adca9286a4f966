// Browser side of plugins from outside the catalogue: the node types the server loaded (app/lib/plugins.server.ts)
// arrive with the shell's data as descriptors; registering them makes the designer, the run view and the
// bindings show and configure their steps, with their texts in every language.
import type { i18n as I18n } from 'i18next';
import { LOCALES } from '../../entities/constants.ts';
import { nodesOf, type PluginDescriptor } from '../../plugins/external.ts';
import { PLUGINS, registerPlugin } from '../../plugins/index.ts';

/** Registers each described plugin once (a no-op on the server, which loaded them itself). */
export function registerDescribedPlugins(descriptors: readonly PluginDescriptor[], i18n: I18n): void {
  for (const d of descriptors) {
    if (!PLUGINS.some((p) => p.id === d.id)) registerPlugin({ id: d.id, nodes: nodesOf(d) });
    for (const lng of LOCALES)
      if (!i18n.exists(`plugins.${d.id}`, { lng })) i18n.addResourceBundle(lng, 'common', { plugins: { [d.id]: d.locales[lng] } }, true, true);
  }
}
