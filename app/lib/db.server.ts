import path from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { entities } from '../../entities/index.ts';

export type Orm = MikroORM;

/** The ORM for one process. Migrations are only wired in for the migrate script. */
export async function createOrm(opts: { url: string; poolMax?: number; withMigrator?: boolean; debug?: boolean }): Promise<MikroORM> {
  const config: Options = {
    entities,
    clientUrl: opts.url,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    debug: opts.debug ?? false,
    allowGlobalContext: false,
  };
  if (opts.withMigrator) {
    const { Migrator } = await import('@mikro-orm/migrations');
    const dir = path.resolve(process.cwd(), 'migrations');
    config.extensions = [Migrator];
    config.migrations = { path: dir, pathTs: dir, glob: '!(*.d).{js,ts}', transactional: true, snapshot: false };
  }
  return MikroORM.init(config);
}

/**
 * A text[] parameter for raw SQL. MikroORM expands an array parameter into a list (`in (?)` style),
 * so arrays meant as one value travel as a Postgres array literal; write `?::text[]` in the SQL.
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
