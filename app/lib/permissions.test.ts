import { describe, expect, it } from 'vitest';
import { AREAS, can, PERMISSIONS, ROLES, TOPICS } from './permissions.ts';

describe('permissions', () => {
  it('gives admin every permission', () => {
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) expect(can('admin', p)).toBe(true);
  });

  it('denies a missing or unknown role', () => {
    expect(can(null, 'orders.view')).toBe(false);
    expect(can('intruder' as never, 'orders.view')).toBe(false);
  });

  it('keeps agents and warehouse staff out of settings and audit', () => {
    for (const role of ['agent', 'warehouse', 'executive', 'ops_manager'] as const) {
      expect(can(role, 'settings.view')).toBe(false);
      expect(can(role, 'audit.view')).toBe(false);
    }
  });

  it('lets only admin and ops managers edit workflows', () => {
    expect(ROLES.filter((r) => can(r, 'workflows.edit'))).toEqual(['admin', 'ops_manager']);
  });

  it('gives every role at least one area to land on', () => {
    for (const role of ROLES) expect(AREAS.some((a) => can(role, a.permission))).toBe(true);
  });

  it('maps every live topic to a real permission', () => {
    for (const perm of Object.values(TOPICS)) expect(PERMISSIONS).toHaveProperty(perm);
  });
});
