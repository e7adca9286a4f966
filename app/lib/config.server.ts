import { z } from 'zod';

/** Runtime settings, read from the environment once. `scripts/start.ts` fills them in embedded mode. */
const Env = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (scripts/start.ts sets it in embedded mode)'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('oms'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  TEMPORAL_UI_URL: z.string().default('http://localhost:8233'),
  PORT: z.coerce.number().int().default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().optional(),
  BASE_CURRENCY: z.string().length(3).default('USD'),
  /** The business's time zone (IANA): where "today" and each day of the reports begin. */
  BUSINESS_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'BUSINESS_TIME_ZONE must be an IANA time zone such as Asia/Taipei'),
  SMTP_URL: z.string().optional(),
  /** Sender of customer emails (only used with SMTP_URL). */
  MAIL_FROM: z.string().default('Order Console <no-reply@localhost>'),
  /** The desk's inbound SMTP listener (loopback): a port, or unset / `off` for none (production polls IMAP_URL instead). */
  SMTP_INBOUND_PORT: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === 'off' || /^\d{1,5}$/.test(v), 'SMTP_INBOUND_PORT must be a port number or off'),
  /** IMAP mailbox the worker polls for desk mail (imaps://user:pass@host/INBOX). */
  IMAP_URL: z.string().optional(),
  /** The address customers write to (replies go out with Reply-To support+<ticket token>@…). */
  SUPPORT_EMAIL: z.string().optional(),
  DB_POOL_MAX: z.coerce.number().int().positive().default(10),
  /** How often the worker asks Temporal about runs unchanged for that long, to record those ended from outside (terminated, cancelled, timed out). */
  RUN_RECONCILE_MS: z.coerce.number().int().positive().default(60_000),
  /** Designer presence: how often a web process refreshes its rows, and when an unrefreshed row counts as gone. */
  PRESENCE_HEARTBEAT_MS: z.coerce.number().int().positive().default(10_000),
  PRESENCE_TTL_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * The proxies whose X-Forwarded-For / -Proto count (Express's `trust proxy`: addresses, CIDR ranges or
   * `loopback`, comma-separated; a number counts hops). Empty: none, so the client is the socket's peer.
   */
  TRUST_PROXY: z.string().default(''),
  /** Requests a minute one API key may make (every web node counts together, in PostgreSQL); 0 turns the limit off. */
  API_RATE_LIMIT: z.coerce.number().int().min(0).default(6000),
  NODE_ENV: z.string().default('production'),
});

export type Config = z.infer<typeof Env>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
