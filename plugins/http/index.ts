// Integrations: an HTTP request to another service (its answer is the step's output for later
// conditions), and a signed webhook to a subscribed endpoint through the durable delivery. Both go
// through the SSRF guard (Settings → Webhooks allows private hosts).
import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { HTTP_METHODS } from '../../app/modules/webhooks/events.ts';

const url = z.string().trim().min(1).max(2048);
const header = z.object({
  name: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/),
  // A value may name a secret: {{secret:ERP_TOKEN}} (the environment's OMS_SECRET_ERP_TOKEN), never stored here.
  value: z.string().max(2000),
});

export const http: Plugin = {
  id: 'http',
  nodes: [
    defineNode({
      type: 'http.request',
      category: 'integrations',
      labelKey: 'nodes.http.request.label',
      descriptionKey: 'nodes.http.request.description',
      // url and body may be JSONata (a leading "="), evaluated over the run's context.
      config: z.object({
        httpMethod: z.enum(HTTP_METHODS).default('POST'),
        url,
        headers: z.array(header).max(20).default([]),
        body: z.string().max(20_000).default(''),
        timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
        retries: z.number().int().min(1).max(5).default(3),
        // Sent when a later step fails and the run is undone (empty: nothing to undo).
        compensationMethod: z.enum(HTTP_METHODS).default('POST'),
        compensationUrl: z.string().trim().max(2048).default(''),
        compensationBody: z.string().max(20_000).default(''),
      }),
      outputs: ['ok', 'error'],
      requiredOutputs: ['ok'],
      run: { kind: 'activity', activity: 'http.request', compensation: 'http.compensate', timeoutMs: 200_000, retries: 3 },
    }),
    defineNode({
      type: 'http.sendWebhook',
      category: 'integrations',
      labelKey: 'nodes.http.sendWebhook.label',
      descriptionKey: 'nodes.http.sendWebhook.description',
      // data: JSONata over the context (a leading "="); empty sends the trigger and the steps' outputs.
      config: z.object({
        endpointId: z.number().int().min(1),
        eventType: z
          .string()
          .trim()
          .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/)
          .max(100)
          .default('workflow.event'),
        data: z.string().max(20_000).default(''),
      }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'http.sendWebhook' },
    }),
  ],
};
