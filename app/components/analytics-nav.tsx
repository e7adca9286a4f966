// The analytics area's reports, as tabs: each report names its page and the permission it needs, so a
// role sees the tabs of the reports it may read (agents the service reports, warehouse staff the
// fulfilment ones). Add a report by adding its entry here and its route module.
import { NavLink } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { can, type Permission } from '../lib/permissions.ts';
import { useRootData } from '../root.tsx';

export const ANALYTICS_REPORTS = [
  { id: 'sales', path: '/analytics', permission: 'analytics.view' },
  { id: 'products', path: '/analytics/products', permission: 'analytics.view' },
  { id: 'margin', path: '/analytics/margin', permission: 'analytics.view' },
  { id: 'customers', path: '/analytics/customers', permission: 'analytics.view' },
  { id: 'fulfilment', path: '/analytics/fulfilment', permission: 'analytics.fulfilment' },
  { id: 'returns', path: '/analytics/returns', permission: 'analytics.fulfilment' },
  { id: 'service', path: '/analytics/service', permission: 'analytics.service' },
  { id: 'workflows', path: '/analytics/workflows', permission: 'analytics.view' },
  { id: 'replenishment', path: '/analytics/replenishment', permission: 'analytics.view' },
] as const satisfies readonly { id: string; path: string; permission: Permission }[];

export type AnalyticsReport = (typeof ANALYTICS_REPORTS)[number]['id'];

/** The reports `role` may read, in tab order. */
export function reportsFor(role: Parameters<typeof can>[0]) {
  return ANALYTICS_REPORTS.filter((r) => can(role, r.permission));
}

export function AnalyticsNav() {
  const { t } = useTranslation();
  const role = useRootData()?.user?.role;
  return (
    <nav className="tabs report-tabs" aria-label={t('analyticsNav.label')} data-testid="report-tabs">
      {reportsFor(role).map((r) => (
        <NavLink key={r.id} to={r.path} end prefetch="intent">
          {t(`analyticsNav.${r.id}`)}
        </NavLink>
      ))}
    </nav>
  );
}
