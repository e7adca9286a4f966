// The integrations plugin's activities: thin adapters over app/modules/webhooks (HTTP step, webhook step).
import { ApplicationFailure } from '@temporalio/common';
import { HTTP_METHODS, runHttpStep, type HttpMethod } from '../../app/modules/webhooks/http-step.server.ts';
import { deliverFromStep } from '../../app/modules/webhooks/deliveries.server.ts';
import { nodeActivity, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

const method = (v: unknown): HttpMethod => ((HTTP_METHODS as readonly unknown[]).includes(v) ? (v as HttpMethod) : 'POST');
const int = (v: unknown, fallback: number, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
const headers = (v: unknown) =>
  Array.isArray(v)
    ? v.flatMap((h: unknown) => {
        const o = h as { name?: unknown; value?: unknown } | null;
        return o && typeof o.name === 'string' && o.name && typeof o.value === 'string' ? [{ name: o.name, value: o.value }] : [];
      })
    : [];

export function httpNodeActivities({ orm }: NodeDeps) {
  /** The request; its answer is the output, `ok` on 2xx and `error` otherwise (after the step's retries). */
  const request: NodeActivity = async (input) => {
    const c = input.config;
    if (typeof c.url !== 'string' || !c.url) throw ApplicationFailure.nonRetryable(`Node ${input.nodeId} has no URL.`, 'bad_config');
    const r = await runHttpStep(orm, {
      key: input.key,
      method: method(c.httpMethod),
      url: c.url,
      headers: headers(c.headers),
      body: c.body,
      timeoutMs: int(c.timeoutMs, 10_000, 100, 30_000),
      retries: int(c.retries, 3, 1, 5),
    });
    return { handle: r.ok ? 'ok' : 'error', output: { ...r } };
  };

  /** The undo of a request: the compensation request when the step has one (once per key, by its Idempotency-Key). */
  const compensate: NodeActivity = async (input) => {
    const c = input.config;
    if (typeof c.compensationUrl !== 'string' || !c.compensationUrl) return { handle: 'ok', output: { skipped: true } };
    const r = await runHttpStep(orm, {
      key: input.key,
      method: method(c.compensationMethod),
      url: c.compensationUrl,
      headers: headers(c.headers),
      body: c.compensationBody,
      timeoutMs: int(c.timeoutMs, 10_000, 100, 30_000),
      retries: int(c.retries, 3, 1, 5),
    });
    if (!r.ok) throw new Error(`compensation request failed: ${r.error ?? r.status}`);
    return { handle: 'ok', output: { status: r.status } };
  };

  /** A signed webhook of the run's context (or config.data) to a subscribed endpoint, once per step. */
  const sendWebhook: NodeActivity = async (input) => {
    const c = input.config;
    const endpointId = int(c.endpointId, 0, 0, 2 ** 31 - 1);
    if (!endpointId) throw ApplicationFailure.nonRetryable(`Node ${input.nodeId} names no endpoint.`, 'bad_config');
    const data =
      c.data !== undefined && c.data !== '' && c.data !== null
        ? typeof c.data === 'object' && !Array.isArray(c.data)
          ? (c.data as Record<string, unknown>)
          : { value: c.data }
        : { trigger: input.context.trigger, nodes: input.context.nodes };
    const type = typeof c.eventType === 'string' && c.eventType ? c.eventType : 'workflow.event';
    const r = await deliverFromStep(orm, { endpointId, key: input.key, type, data: { workflowId: input.workflowId, ...data } }, workflowActor(input));
    return { handle: 'ok', output: { deliveryId: r.id } };
  };

  const activities = { 'http.request': request, 'http.compensate': compensate, 'http.sendWebhook': sendWebhook };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
