// One owner for every table: each table is written (INSERT / UPDATE / DELETE) from one domain module
// (app/modules/<name>) or one piece of app/lib, never from two, and activities, workflows, plugins and
// routes hold no SQL: they call the owner. The tables are the ones the migrations create; a write is
// any such statement in the source's code (comments are skipped), a typed-SQL (Kysely) insertInto /
// updateTable / deleteFrom, or an ORM create of an entity.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The text without // line comments and /* block comments *\/ (string contents are kept). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
}

const tables = new Set(
  fs
    .readdirSync(path.join(ROOT, 'migrations'))
    .flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, 'migrations', f), 'utf8').matchAll(/create (?:unlogged )?table (?:if not exists )?"?(\w+)"?/gi)].map((m) => m[1]),
    ),
);

/** Entity name → table, for ORM writes (`em.create(Session, …)`). */
const entityTables = new Map(
  fs
    .readdirSync(path.join(ROOT, 'entities'))
    .flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, 'entities', f), 'utf8').matchAll(/export const (\w+) = defineEntity\(\{\s*name: '\w+',\s*tableName: '(\w+)'/g)].map(
        (m) => [m[1], m[2]] as const,
      ),
    ),
);

/** Who owns a file's writes: its module (app/modules/<name>) or its app/lib file; anything else is named by its path. */
function ownerOf(file: string): string {
  const m = /^app\/modules\/([^/]+)\//.exec(file);
  if (m) return `app/modules/${m[1]}`;
  const lib = /^app\/lib\/([^/.]+)/.exec(file);
  if (lib) return `app/lib/${lib[1]}`;
  return file;
}

interface Write {
  table: string;
  file: string;
  owner: string;
}

function writes(): Write[] {
  const out: Write[] = [];
  for (const file of ['app', 'activities', 'workflows', 'plugins'].flatMap(sources)) {
    const text = code(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    const found = new Set<string>();
    for (const m of text.matchAll(/\b(?:insert\s+into|update|delete\s+from)\s+"?(\w+)"?/gi)) if (tables.has(m[1])) found.add(m[1]);
    for (const m of text.matchAll(/\.(?:insertInto|updateTable|deleteFrom)\(\s*['"`](\w+)/g)) if (tables.has(m[1])) found.add(m[1]);
    for (const m of text.matchAll(/\.(?:create|insert|nativeUpdate|nativeDelete)\((\w+)\s*,/g)) {
      const t = entityTables.get(m[1]);
      if (t) found.add(t);
    }
    for (const table of found) out.push({ table, file, owner: ownerOf(file) });
  }
  return out;
}

describe('table owners', () => {
  const all = writes();

  it('finds the writes it is meant to judge', () => {
    // A scanner that saw nothing would pass everything: the known owners must be found.
    const owners = (table: string) => [...new Set(all.filter((w) => w.table === table).map((w) => w.owner))];
    expect(tables.size).toBeGreaterThan(30);
    expect(owners('sales_order')).toEqual(['app/modules/orders']);
    expect(owners('reservation')).toEqual(['app/modules/inventory']);
    expect(owners('stock_movement')).toEqual(['app/modules/inventory']);
    expect(owners('inventory_level')).toEqual(['app/modules/inventory']);
    expect(owners('return_request')).toEqual(['app/modules/returns']);
    expect(owners('audit_event')).toEqual(['app/lib/audit']);
    expect(owners('user_session')).toEqual(['app/lib/auth']);
  });

  it('no table is written from two owners', () => {
    const byTable = new Map<string, Set<string>>();
    for (const w of all) byTable.set(w.table, (byTable.get(w.table) ?? new Set()).add(w.owner));
    const shared = [...byTable].filter(([, o]) => o.size > 1).map(([t, o]) => `${t}: ${[...o].join(', ')}`);
    expect(shared).toEqual([]);
  });

  it('only domain modules and app/lib write; activities, workflows, plugins and routes call them', () => {
    expect(all.filter((w) => !/^app\/(modules|lib)\//.test(w.file)).map((w) => `${w.file} writes ${w.table}`)).toEqual([]);
  });

  it('activities hold no SQL at all', () => {
    const withSql = sources('activities').filter((file) =>
      /\b(em\.execute|getKysely|db\(|selectFrom|insertInto|updateTable|deleteFrom|prepare\(|sql\(|sql<)|\b(select|insert|update|delete)\s[\s\S]{0,80}\b(from|into|set|where)\b/i.test(
        code(fs.readFileSync(path.join(ROOT, file), 'utf8')),
      ),
    );
    expect(withSql).toEqual([]);
  });
});
