// Opens the plugin's database from the `database` option: a Knex instance, a
// Knex config, or a URL (postgres://…, sqlite:<path>), and applies migrations.
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgument, Unavailable } from './errors.js';
import { migrationSource } from '../migrations/index.js';

export type Dialect = 'pg' | 'sqlite';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** true when the plugin opened the connection and must close it */
  owned: boolean;
}

export type DatabaseOption = string | Knex | Knex.Config | undefined;

export const defaultSqlitePath = './data/actions.sqlite';

// int8 (counts, bigint columns) comes back as a number instead of a string.
// Set per client through the `types` option, so the host's own pg use is untouched.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => (v === null ? null : Number(v));
    return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
  },
};

interface SqliteConnection {
  pragma?(s: string): unknown;
  run?(sql: string, cb: (err: Error | null) => void): unknown;
}

interface BetterSqliteConnection {
  prepare(sql: string): unknown;
}

/** prepared statements kept per connection; knex issues a small set of distinct SQL strings */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Knex's better-sqlite3 client prepares every query anew, which costs more
 * than running it (measured: ~40% of the SQL time of a claim). The statements
 * are reused here, least recently used evicted. Safe because knex runs each
 * statement to completion (`all`/`run`) before the next, and SQLite
 * re-prepares a statement by itself after a schema change.
 */
function cacheStatements(conn: BetterSqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt !== undefined) {
      cache.delete(sql);
    } else {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
}

function sqlitePragmas(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void): void {
  const pragmas = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000', 'foreign_keys = ON'];
  if (typeof conn.pragma === 'function') {
    // better-sqlite3: synchronous API
    try {
      for (const p of pragmas) conn.pragma(p);
      cacheStatements(conn as BetterSqliteConnection);
      done(null, conn);
    } catch (e) {
      done(e as Error, conn);
    }
    return;
  }
  // sqlite3: callback API, one statement at a time
  const next = (i: number): void => {
    if (i === pragmas.length) return done(null, conn);
    conn.run!(`PRAGMA ${pragmas[i]}`, (err) => (err ? done(err, conn) : next(i + 1)));
  };
  next(0);
}

function sqliteConfig(filename: string, client: 'better-sqlite3' | 'sqlite3' = 'better-sqlite3'): Knex.Config {
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return {
    client,
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, afterCreate: sqlitePragmas },
  };
}

function pgConfig(connectionString: string, pool?: Knex.PoolConfig): Knex.Config {
  return {
    client: 'pg',
    connection: { connectionString, types: pgTypes } as Knex.PgConnectionConfig,
    pool: pool ?? { min: 0, max: 10 },
  };
}

/** Turns a URL into a Knex config; an unknown scheme is an InvalidArgument naming it. */
export function configFromUrl(url: string): Knex.Config {
  if (/^postgres(ql)?:\/\//.test(url)) return pgConfig(url);
  const sqlite = /^sqlite3?:(.*)$/.exec(url);
  if (sqlite) {
    const file = sqlite[1]!.replace(/^\/\//, '');
    if (!file) throw new InvalidArgument('database: sqlite URL needs a path, e.g. sqlite:./data/actions.sqlite', { field: 'database' });
    return sqliteConfig(file, url.startsWith('sqlite3:') ? 'sqlite3' : 'better-sqlite3');
  }
  const scheme = /^([a-z0-9+.-]+):/i.exec(url)?.[1];
  throw new InvalidArgument(
    `database: unsupported URL scheme ${scheme ? `"${scheme}:"` : `in "${url}"`} (use postgres://… or sqlite:<path>)`,
    { field: 'database' },
  );
}

function isKnexInstance(v: unknown): v is Knex {
  return typeof v === 'function' && typeof (v as { client?: unknown }).client === 'object';
}

function dialectOf(knex: Knex): Dialect {
  const client = String((knex.client as { config?: { client?: unknown } }).config?.client ?? knex.client.dialect ?? '');
  if (/pg|postgres/.test(client)) return 'pg';
  if (/sqlite/.test(client)) return 'sqlite';
  throw new InvalidArgument(`database: unsupported Knex client "${client}" (use pg, better-sqlite3 or sqlite3)`, { field: 'database' });
}

/** Builds the Knex connection; nothing touches the network until the first query. */
export function openDatabase(option: DatabaseOption): Database {
  if (isKnexInstance(option)) return { knex: option, dialect: dialectOf(option), owned: false };
  let config: Knex.Config;
  if (option === undefined) config = sqliteConfig(defaultSqlitePath);
  else if (typeof option === 'string') config = configFromUrl(option);
  else {
    config = { ...option };
    const client = String(config.client ?? '');
    if (client === 'better-sqlite3' || client === 'sqlite3') {
      const filename = (config.connection as { filename?: string } | undefined)?.filename ?? defaultSqlitePath;
      const defaults = sqliteConfig(filename, client);
      config = { ...defaults, ...config, pool: { ...defaults.pool, ...(config.pool ?? {}) } };
    } else if (client === 'pg' || client === 'postgres' || client === 'postgresql') {
      if (typeof config.connection === 'string') config = { ...config, ...pgConfig(config.connection, config.pool) };
    }
  }
  const knex = knexFactory(config);
  return { knex, dialect: dialectOf(knex), owned: true };
}

// An arbitrary constant: every forge-actions instance takes the same lock.
const MIGRATION_LOCK_KEY = 7_240_315_001;

/**
 * Applies pending migrations. On PostgreSQL several instances may start at
 * once: a transaction-scoped advisory lock makes the others wait, then find
 * nothing left to do. Each migration runs in its own transaction, so a failure
 * leaves no half-migrated schema.
 */
export async function migrate(db: Database): Promise<void> {
  const run = () => db.knex.migrate.latest({ migrationSource, tableName: 'action_migrations' });
  try {
    if (db.dialect === 'pg') {
      await db.knex.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
        await run();
      });
    } else {
      await run();
    }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === '28P01' || err.code === '3D000') {
      throw new Unavailable(`database unreachable: ${err.message ?? err.code}`, { cause: e });
    }
    throw new Error(`database migration failed: ${err.message ?? String(e)}`, { cause: e });
  }
}

/** Rolls every migration back (tests and the `down` check). */
export async function rollbackAll(db: Database): Promise<void> {
  await db.knex.migrate.rollback({ migrationSource, tableName: 'action_migrations' }, true);
}
