import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

import { LOCALES, ROLES } from './constants.ts';

export { LOCALES, ROLES, type Locale, type Role } from './constants.ts';

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().unique(),
    name: p.string(),
    passwordHash: p.string().hidden(),
    role: p.enum(ROLES),
    locale: p.enum(LOCALES).default('en'),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
  },
});
export type IUser = InferEntity<typeof User>;

/** A login session. The cookie carries a random token; only its SHA-256 is stored. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'user_session',
  properties: {
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
    ip: p.string().nullable(),
    userAgent: p.text().nullable(),
  },
});
export type ISession = InferEntity<typeof Session>;

/** An integration key: `oms_<prefix>_<secret>`; the secret is stored as SHA-256 and shown once. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string(),
    prefix: p.string().length(16).unique(),
    secretHash: p.string().length(64).hidden(),
    role: p.enum(ROLES),
    createdBy: () => p.manyToOne(User).nullable().deleteRule('set null'),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type IApiKey = InferEntity<typeof ApiKey>;
