// A second, read-only SQLite connection for the runner poll's one read.
//
// Why: the embedded database has one pooled connection (SQLite has one
// writer), so an idle poll waited for any transaction in flight (a push, a
// claim) and paid knex's pool acquisition (~20 µs, more than the statement)
// on every call. In WAL mode a second connection reads the last committed
// state while a write goes on, and better-sqlite3 answers it synchronously.
// Reading committed state outside the writer's transaction is what every
// instance on PostgreSQL already does, and what the claim path is built for:
// whatever the poll read, the claim transaction asks again under its lock.
//
// Used only with better-sqlite3 on a file in WAL mode; otherwise (an
// in-memory database, the sqlite3 client, another journal mode, where a
// synchronous reader could wait on a writer) the caller reads through the pool.
import { createRequire } from 'node:module';
import type Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';

// loaded on first use, as knex loads its client: a PostgreSQL deployment never loads the SQLite addon
const requireModule = createRequire(import.meta.url);

interface Reader {
  db: Sqlite.Database;
  statements: Map<string, Sqlite.Statement>;
}

/** per knex client: the open reader, or null once it is known that none can be used */
const readers = new WeakMap<object, Reader | null>();

function databaseFile(k: Knex): string | null {
  const config = (k.client as { config?: { client?: unknown; connection?: unknown } }).config;
  if (config?.client !== 'better-sqlite3') return null;
  const filename = (config.connection as { filename?: unknown } | undefined)?.filename;
  if (typeof filename !== 'string' || filename === '' || filename === ':memory:' || filename.startsWith('file:')) return null;
  return filename;
}

function open(k: Knex): Reader | null {
  const filename = databaseFile(k);
  if (filename === null) return null;
  const Database = requireModule('better-sqlite3') as typeof Sqlite;
  const db = new Database(filename, { fileMustExist: true });
  try {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') {
      db.close();
      return null;
    }
    db.pragma('query_only = ON');
    // a WAL reader waits only while the wal-index is rebuilt; this wait blocks the event loop, so it is short
    db.pragma('busy_timeout = 200');
    return { db, statements: new Map() };
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * The reader of this knex instance, opened on first use; null when the poll
 * must read through the pool. A transaction never gets one: its reads must
 * see its own writes.
 */
export function sqliteReader(k: Knex | Knex.Transaction): Reader | null {
  if ((k as Knex.Transaction).isTransaction) return null;
  let reader = readers.get(k.client as object);
  if (reader === undefined) {
    reader = open(k as Knex);
    readers.set(k.client as object, reader);
  }
  return reader;
}

/** the first row of a read on the reader; the statement is prepared once */
export function readerFirst<T>(reader: Reader, sql: string, bindings: unknown[]): T | undefined {
  let stmt = reader.statements.get(sql);
  if (!stmt) {
    stmt = reader.db.prepare(sql);
    reader.statements.set(sql, stmt);
  }
  return stmt.get(...bindings) as T | undefined;
}

/** closes the reader of this knex instance, if one was opened (the plugin's close) */
export function closeSqliteReader(k: Knex): void {
  const reader = readers.get(k.client as object);
  readers.delete(k.client as object);
  reader?.db.close();
}
