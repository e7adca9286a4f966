// The activities behind every business node type of the catalogue (plugins/*), keyed by the
// activity names the plugins declare. Register with the worker next to the system activities:
//   createActivities = (deps) => ({ ...systemActivities(deps), ...nodeActivities(deps) })
import { inventoryNodeActivities } from './inventory.ts';
import { notificationsNodeActivities } from './notifications.ts';
import { ordersNodeActivities } from './orders.ts';
import { returnsNodeActivities } from './returns.ts';
import { serviceNodeActivities } from './service.ts';
import { httpNodeActivities } from './http.ts';
import type { NodeDeps } from './shared.ts';

export function nodeActivities(deps: NodeDeps) {
  return {
    ...ordersNodeActivities(deps),
    ...returnsNodeActivities(deps),
    ...inventoryNodeActivities(deps),
    ...notificationsNodeActivities(deps),
    ...serviceNodeActivities(deps),
    ...httpNodeActivities(deps),
  };
}

export type NodeActivities = ReturnType<typeof nodeActivities>;

export { ordersNodeActivities, returnsNodeActivities, inventoryNodeActivities, notificationsNodeActivities, serviceNodeActivities, httpNodeActivities };
export { SIMULATED_TOKEN } from './orders.ts';
export { poNumberForKey } from './inventory.ts';
export type { NodeActivity, NodeDeps } from './shared.ts';
