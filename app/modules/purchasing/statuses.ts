// A purchase order's statuses in their order, for the screens (plain code: the client bundle uses it).
import type { PoStatus } from './service.server.ts';

export const PO_STATUSES = ['draft', 'approved', 'sent', 'partially_received', 'received', 'cancelled'] as const satisfies readonly PoStatus[];

export const isPoStatus = (s: string | undefined): s is PoStatus => !!s && (PO_STATUSES as readonly string[]).includes(s);
