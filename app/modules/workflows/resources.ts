// A human task as the API answers it (POST /api/v1/workflows/tasks/:id/decision).
import { z } from 'zod';
import { ROLES } from '../../../entities/constants.ts';
import { TASK_STATUSES } from '../../../entities/workflows.ts';
import type { Matches } from '../../lib/openapi/describe.ts';
import type { TaskRow } from './tasks.server.ts';

const DateTime = z.iso.datetime({ offset: true });

export const TaskResource = z.strictObject({
  id: z.number().int(),
  key: z.string(),
  workflowId: z.string(),
  nodeId: z.string(),
  title: z.string(),
  roles: z.array(z.enum(ROLES)),
  status: z.enum(TASK_STATUSES),
  decidedBy: z.string().nullable(),
  comment: z.string().nullable(),
  createdAt: DateTime,
  decidedAt: DateTime.nullable(),
  dueAt: DateTime.nullable(),
  entityType: z.string().nullable(),
  entityId: z.string().nullable(),
});

export type TaskAnswer = Matches<TaskRow, z.output<typeof TaskResource>>;
