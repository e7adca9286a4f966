// The one place that says which role may do what. Loaders, actions, API routes and socket
// subscriptions all ask `can()`; the UI uses the same table only to hide what the server forbids.
import { ROLES, type Role } from '../../entities/constants.ts';

export { ROLES, type Role };

const ALL = ROLES;

export const PERMISSIONS = {
  'orders.view': ALL,
  'orders.manage': ['admin', 'ops_manager', 'agent'],
  'inventory.view': ['admin', 'ops_manager', 'warehouse', 'executive'],
  'inventory.manage': ['admin', 'ops_manager', 'warehouse'],
  'fulfilment.view': ['admin', 'ops_manager', 'warehouse'],
  'fulfilment.manage': ['admin', 'ops_manager', 'warehouse'],
  'workflows.view': ['admin', 'ops_manager', 'agent', 'executive'],
  'workflows.edit': ['admin', 'ops_manager'],
  'service.view': ['admin', 'ops_manager', 'agent'],
  'service.manage': ['admin', 'ops_manager', 'agent'],
  /** Teams, agents, SLA policies and business calendars of the service desk. */
  'service.settings': ['admin', 'ops_manager'],
  'dashboards.view': ALL,
  /** The Analytics area: every role reads some of its reports (app/components/analytics-nav.tsx says which). */
  'analytics.area': ALL,
  /** Sales, products, margin, customers, replenishment and workflow reports. */
  'analytics.view': ['admin', 'ops_manager', 'executive'],
  /** The fulfilment reports (processing time, delays, errors, returns): warehouse staff read them too. */
  'analytics.fulfilment': ['admin', 'ops_manager', 'executive', 'warehouse'],
  /** The service reports (response and resolution times, SLA, CSAT): agents read them too. */
  'analytics.service': ['admin', 'ops_manager', 'executive', 'agent'],
  'settings.view': ['admin'],
  'settings.manage': ['admin'],
  'audit.view': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return !!role && (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Live-update topics and the permission needed to join each one's room. */
export const TOPICS = {
  orders: 'orders.view',
  inventory: 'inventory.view',
  fulfilment: 'fulfilment.view',
  workflows: 'workflows.view',
  service: 'service.view',
  dashboards: 'dashboards.view',
  audit: 'audit.view',
} as const satisfies Record<string, Permission>;

export type Topic = keyof typeof TOPICS;

export function isTopic(value: string): value is Topic {
  return Object.hasOwn(TOPICS, value);
}

/** The console's areas, in navigation order, with the permission each needs. */
export const AREAS = [
  { id: 'orders', path: '/orders', permission: 'orders.view' },
  { id: 'inventory', path: '/inventory', permission: 'inventory.view' },
  { id: 'purchasing', path: '/purchasing', permission: 'inventory.view' },
  { id: 'fulfilment', path: '/fulfilment', permission: 'fulfilment.view' },
  { id: 'workflows', path: '/workflows', permission: 'workflows.view' },
  { id: 'service', path: '/service', permission: 'service.view' },
  { id: 'customers', path: '/customers', permission: 'service.view' },
  { id: 'dashboards', path: '/dashboards', permission: 'dashboards.view' },
  { id: 'analytics', path: '/analytics', permission: 'analytics.area' },
  { id: 'settings', path: '/settings', permission: 'settings.view' },
] as const satisfies readonly { id: string; path: string; permission: Permission }[];
