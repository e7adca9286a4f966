// Sales channels (Settings → Channels): what an ops admin sets on each — its name and kind, the
// currencies intake accepts from it, the adapter its webhooks speak, whether it takes orders at all —
// and the webhook secret, which is only ever replaced (rotated), shown once, and never stored in the
// audit trail (a fingerprint is).
import crypto from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CHANNEL_KINDS, type ChannelKind } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { isCurrency } from '../../lib/money.ts';
import { CHANNEL_ADAPTERS, formErrors, toCodeList, toText } from './form.ts';

const NS = 'channelSettings';

export const ChannelInput = z.object({
  name: z.string({ error: 'nameRequired' }).trim().min(1, 'nameRequired').max(100, 'nameTooLong'),
  kind: z.enum(CHANNEL_KINDS, { error: 'kindInvalid' }),
  currencies: z.preprocess(
    toCodeList,
    z
      .array(z.string({ error: 'currencyInvalid' }), { error: 'currencyInvalid' })
      .min(1, 'currenciesRequired')
      .max(20, 'currenciesTooMany')
      .superRefine((list, ctx) => {
        const bad = list.find((c) => !/^[A-Z]{3}$/.test(c) || !isCurrency(c));
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: 'currencyInvalid', params: { value: bad } });
      }),
  ),
  adapter: z.preprocess(toText, z.enum(CHANNEL_ADAPTERS, { error: 'adapterInvalid' }).optional()),
  active: z.boolean({ error: 'activeInvalid' }),
});

export interface ChannelRow {
  id: number;
  code: string;
  name: string;
  kind: ChannelKind;
  currencies: string[];
  adapter: string | null;
  active: boolean;
  /** First 8 hex digits of the secret's SHA-256, to tell secrets apart without showing one; null: no secret. */
  secretFingerprint: string | null;
  orders: number;
}

const fingerprint = (secret: string | null) => (secret ? crypto.createHash('sha256').update(secret).digest('hex').slice(0, 8) : null);

type Row = {
  id: number;
  code: string;
  name: string;
  kind: ChannelKind;
  currencies: string[];
  adapter: string | null;
  active: boolean;
  webhook_secret: string | null;
  orders?: string;
};
const toRow = (r: Row): ChannelRow => ({
  id: r.id,
  code: r.code,
  name: r.name,
  kind: r.kind,
  currencies: r.currencies,
  adapter: r.adapter,
  active: r.active,
  secretFingerprint: fingerprint(r.webhook_secret),
  orders: Number(r.orders ?? 0),
});
const SELECT = `select c.id, c.code, c.name, c.kind, c.currencies, c.adapter, c.active, c.webhook_secret,
    (select count(*) from sales_order o where o.channel_id = c.id) as orders from channel c`;

export async function listChannels(em: EntityManager): Promise<ChannelRow[]> {
  return (await em.execute<Row[]>(`${SELECT} order by c.code`)).map(toRow);
}

export async function getChannel(em: EntityManager, code: string): Promise<ChannelRow | null> {
  const [row] = await em.execute<Row[]>(`${SELECT} where c.code = ?`, [code]);
  return row ? toRow(row) : null;
}

const EDITABLE = ['name', 'kind', 'currencies', 'adapter', 'active'] as const;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes a channel. Each currency must be an ISO 4217 code with an exchange rate (or the base
 * currency), since intake converts totals with it. Bad input is refused by field (422) and nothing
 * is written; a change is one transaction with its audit event (the fields that differ).
 */
export async function saveChannel(
  orm: MikroORM,
  code: string,
  raw: Record<string, unknown>,
  actor: Actor,
  base: string,
): Promise<{ channel: ChannelRow; changed: string[] }> {
  const parsed = ChannelInput.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, NS, raw));
  const input = { ...parsed.data, adapter: parsed.data.adapter ?? null };
  return orm.em.fork().transactional(async (em) => {
    const locked = await db(em).selectFrom('channel').select('id').where('code', '=', code).forUpdate().executeTakeFirst();
    if (!locked) throw new DomainError(404, 'not_found', `No channel ${code}.`);
    const rated = new Set((await db(em).selectFrom('exchange_rate').select('currency').execute()).map((r) => r.currency).concat(base));
    const unrated = input.currencies.find((c) => !rated.has(c));
    if (unrated)
      throw invalid([
        {
          field: 'currencies',
          code: 'no_exchange_rate',
          messageKey: `${NS}.errors.currencyNoRate`,
          params: { value: input.currencies.join(', '), currency: unrated },
        },
      ]);
    const current = (await getChannel(em, code))!;
    const changed = EDITABLE.filter((k) => !same(current[k], input[k]));
    if (!changed.length) return { channel: current, changed };
    await db(em)
      .updateTable('channel')
      .set({ name: input.name, kind: input.kind, currencies: input.currencies, adapter: input.adapter, active: input.active })
      .where('id', '=', current.id)
      .execute();
    audit(em, actor, {
      action: 'channel.updated',
      entityType: 'Channel',
      entityId: current.id,
      before: Object.fromEntries(changed.map((k) => [k, current[k]])),
      after: { code, ...Object.fromEntries(changed.map((k) => [k, input[k]])) },
    });
    return { channel: { ...current, ...input }, changed };
  });
}

/**
 * Replaces the channel's webhook secret with a new random one (256 bits, hex) and returns it: the
 * only time it is shown. Deliveries signed with the old secret are refused from the commit on.
 * Audited with the fingerprints of the old and new secret, never the secret itself.
 */
export async function rotateWebhookSecret(orm: MikroORM, code: string, actor: Actor): Promise<{ code: string; secret: string; fingerprint: string }> {
  return orm.em.fork().transactional(async (em) => {
    const row = await db(em).selectFrom('channel').select(['id', 'webhook_secret']).where('code', '=', code).forUpdate().executeTakeFirst();
    if (!row) throw new DomainError(404, 'not_found', `No channel ${code}.`);
    const secret = crypto.randomBytes(32).toString('hex');
    await db(em).updateTable('channel').set({ webhook_secret: secret }).where('id', '=', row.id).execute();
    audit(em, actor, {
      action: 'channel.webhook_secret_rotated',
      entityType: 'Channel',
      entityId: row.id,
      before: { secretFingerprint: fingerprint(row.webhook_secret) },
      after: { code, secretFingerprint: fingerprint(secret) },
    });
    return { code, secret, fingerprint: fingerprint(secret)! };
  });
}
