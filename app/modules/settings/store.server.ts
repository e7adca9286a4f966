// The store as its customers know it (Settings → Store): the name and logo on the public tracking and
// rating pages and in customer mail, and where its product pages are (the recommendations mail links to
// them). One row; a field left empty falls back to STORE_NAME / STORE_PRODUCT_URL (and the name to the
// sender's name of MAIL_FROM).
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { z } from 'zod';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { invalid } from '../../lib/errors.ts';
import { senderName } from '../notifications/sender.ts';
import { formErrors, toText } from './form.ts';

export interface StoreProfile {
  name: string;
  logoUrl: string | null;
  /** A product's page with `{sku}` where its SKU goes. */
  productUrl: string | null;
}

/** The shop's name as customers know it (the public tracking page, mail): STORE_NAME, else the sender's name. */
export function storeName(env: Record<string, string | undefined> = process.env): string {
  return env.STORE_NAME?.trim().slice(0, 200) || senderName(env);
}

/** What is saved (null: not set, the fallback applies), for the settings form. */
export type SavedStoreProfile = { [K in keyof StoreProfile]: string | null };

const FIELDS = ['name', 'logoUrl', 'productUrl'] as const;

async function saved(em: EntityManager): Promise<SavedStoreProfile> {
  const row = await db(em).selectFrom('store_profile').select(['name', 'logo_url', 'product_url']).where('id', '=', 1).executeTakeFirst();
  return { name: row?.name ?? null, logoUrl: row?.logo_url ?? null, productUrl: row?.product_url ?? null };
}

/** The store's profile as customers see it: what is saved, else the environment's. */
export async function storeProfile(
  em: EntityManager,
  env: Record<string, string | undefined> = process.env,
): Promise<StoreProfile & { saved: SavedStoreProfile }> {
  const s = await saved(em);
  return {
    name: s.name ?? storeName(env),
    logoUrl: s.logoUrl,
    productUrl: s.productUrl ?? (env.STORE_PRODUCT_URL?.trim() || null),
    saved: s,
  };
}

/** A product's page in the shop: the template with `{sku}` replaced, or null without one. */
export const productPageUrl = (template: string | null, sku: string): string | null =>
  template ? template.replaceAll('{sku}', encodeURIComponent(sku)) : null;

const httpUrl = z
  .string()
  .max(500, 'linkTooLong')
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'url');

export const StoreInput = z.object({
  name: z.preprocess(toText, z.string().max(200, 'nameTooLong').optional()),
  logoUrl: z.preprocess(toText, httpUrl.optional()),
  productUrl: z.preprocess(toText, httpUrl.refine((v) => v.includes('{sku}'), 'sku').optional()),
});

/**
 * Saves the store's profile (a field sent empty goes back to its fallback), audited with what changed.
 * Bad input (a link that is not http(s), a product link without `{sku}`, a name over 200 characters) is
 * refused with 422 naming the field, and writes nothing.
 */
export async function saveStoreProfile(orm: MikroORM, raw: Record<string, unknown>, actor: Actor): Promise<{ changed: string[] }> {
  const parsed = StoreInput.safeParse(raw);
  if (!parsed.success) throw invalid(formErrors(parsed.error, 'store', raw));
  const next: SavedStoreProfile = { name: parsed.data.name ?? null, logoUrl: parsed.data.logoUrl ?? null, productUrl: parsed.data.productUrl ?? null };
  return orm.em.fork().transactional(async (em) => {
    const before = await saved(em);
    const changed = FIELDS.filter((f) => before[f] !== next[f]);
    if (!changed.length) return { changed };
    const values = { name: next.name, logo_url: next.logoUrl, product_url: next.productUrl, updated_at: sql<Date>`now()` };
    await db(em)
      .insertInto('store_profile')
      .values({ id: 1, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    audit(em, actor, { action: 'settings.store_saved', entityType: 'StoreProfile', entityId: 1, before, after: next });
    return { changed };
  });
}
