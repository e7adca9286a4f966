import path from 'node:path';
import pg from 'pg';
import { CompiledQuery, sql as kyselySql, type Kysely, type RawBuilder } from 'kysely';
import { MikroORM, type EntityManager, type InferKyselyDB, type Options } from '@mikro-orm/postgresql';
import { entities, type typedEntities } from '../../entities/index.ts';

/** The schema as typed SQL sees it, inferred from the entity definitions: a renamed column breaks the type check. */
export type DB = InferKyselyDB<(typeof typedEntities)[number]>;

/**
 * Typed SQL (Kysely, typed by the entities) in em's transaction, or on a pooled connection outside one.
 * Prefer it to `em.execute` for new statements; `prepare`/`sql` below stay for the hot paths a bench measures.
 */
export const db = (em: EntityManager): Kysely<DB> => em.getKysely<DB>();

/** A value for a jsonb column in typed SQL: sent as JSON text (pg would turn a JS array into a Postgres array). */
export const jsonb = <T>(value: T): RawBuilder<T> => kyselySql<T>`${JSON.stringify(value)}::jsonb`;

/** The ORM for one process. Migrations are only wired in for the migrate script. */
export async function createOrm(opts: { url: string; poolMax?: number; withMigrator?: boolean; debug?: boolean }): Promise<MikroORM> {
  const config: Options = {
    entities,
    clientUrl: opts.url,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    debug: opts.debug ?? false,
    allowGlobalContext: false,
    // Connections that run the statements of `prepare` as named prepared statements.
    driverOptions: { Client: PreparingClient },
  };
  if (opts.withMigrator) {
    const { Migrator } = await import('@mikro-orm/migrations');
    const dir = path.resolve(process.cwd(), 'migrations');
    config.extensions = [Migrator];
    config.migrations = { path: dir, pathTs: dir, glob: '!(*.d).{js,ts}', transactional: true, snapshot: false };
  }
  return MikroORM.init(config);
}

/** Serialises work on one key across processes until em's transaction ends. */
export async function advisoryLock(em: EntityManager, key: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [key]);
}

// ---- Prepared statements ----
//
// `em.execute` inlines its values into the SQL text, so Postgres parses and plans every statement
// on every call. Hot paths (order intake) declare their statements once with `prepare` and run them
// with `sql`: on each pooled connection the statement is parsed and planned once, then only bound
// and executed, inside the transaction the EntityManager runs in.
//
//   const RESERVE = prepare('reserve_stock', 'update inventory_level set reserved = reserved + $1 where id = $2 and on_hand - reserved >= $1 returning id');
//   const rows = await sql<{ id: number }>(em, RESERVE, [quantity, levelId]);
//
// Values travel as pg parameters: a JS array becomes a Postgres array (`= any($1::int[])`), and a
// jsonb value must be passed as JSON text (JSON.stringify), since an array would become `{…}`.

/** A statement with `$1…` placeholders that each connection prepares once under `name`. */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

/** Statement text → name, for PreparingClient. */
const preparedNames = new Map<string, string>();

/** Declares a prepared statement (at module level: the name must be unique in the process). */
export function prepare(name: string, text: string): Prepared {
  const known = [...preparedNames].find(([, n]) => n === name);
  if (known && known[0] !== text) throw new Error(`prepared statement ${name} is declared twice with different SQL`);
  preparedNames.set(text, name);
  return Object.freeze({ name, text });
}

/**
 * Runs a prepared statement in em's transaction (on a pooled connection outside one) and returns
 * its rows. Failures are MikroORM's exceptions (UniqueConstraintViolationException, …), as from em.execute.
 */
export async function sql<T = Record<string, unknown>>(em: EntityManager, statement: Prepared, values: readonly unknown[]): Promise<T[]> {
  // MikroORM runs on Kysely: its transaction context is a Kysely transaction on one pooled connection.
  const runner: Kysely<unknown> = em.getTransactionContext() ?? em.getConnection().getClient();
  try {
    const result = await runner.executeQuery<T>(CompiledQuery.raw(statement.text, [...values]));
    return result.rows;
  } catch (e) {
    throw em.getDriver().convertException(e as Error);
  }
}

/**
 * pg's client, except that a statement declared with `prepare` runs as a named prepared statement
 * (pg parses it once per connection and remembers it). Everything else passes through unchanged.
 */
class PreparingClient extends pg.Client {}

// pg's overloads do not survive a subclass override, so query is replaced on the prototype; the arguments are handed on untouched.
const baseQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
PreparingClient.prototype.query = function query(this: pg.Client, ...args: unknown[]): unknown {
  const [config, values] = args;
  if (typeof config === 'string' && Array.isArray(values)) {
    const name = preparedNames.get(config);
    if (name) return baseQuery.call(this, { name, text: config, values }, ...args.slice(2));
  }
  return baseQuery.apply(this, args);
} as pg.Client['query'];
