import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { NOTIFICATION_TEMPLATES, ROLES } from '../../entities/constants.ts';

export const notifications: Plugin = {
  id: 'notifications',
  nodes: [
    defineNode({
      type: 'notifications.email',
      category: 'notifications',
      labelKey: 'nodes.notifications.email.label',
      descriptionKey: 'nodes.notifications.email.description',
      config: z.object({ template: z.enum(NOTIFICATION_TEMPLATES) }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'notifications.email', local: true },
    }),
    defineNode({
      type: 'notifications.alert',
      category: 'notifications',
      labelKey: 'nodes.notifications.alert.label',
      descriptionKey: 'nodes.notifications.alert.description',
      // Rings the console's bell and emails the staff in emailRoles (an empty list: the bell only).
      config: z.object({
        message: z.string().trim().min(1).max(500),
        severity: z.enum(['info', 'warning', 'critical']).default('warning'),
        emailRoles: z.array(z.enum(ROLES)).default(['ops_manager', 'admin']),
      }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'notifications.alert', local: true },
    }),
  ],
};
