// Statements of the runner protocol's hot path, run through the driver on the
// executor's connection instead of knex's query builder and runner.
//
// Why: a claimed and finished task costs about 35 statements. Knex spends
// more on building and dispatching a simple statement (~35 µs) than SQLite
// spends running it (~10 µs), and on PostgreSQL every statement is parsed and
// planned again. Here the SQL text is fixed, SQLite statements are prepared
// once per connection (lib/db.ts) and PostgreSQL statements are named, so the
// server prepares them once per connection too. The connection is the one
// knex would use (the transaction's, or one from its pool), so these
// statements take part in the caller's transaction like any other.
//
// SQL is written once with `?` placeholders and must be valid on both
// databases; booleans are bound as 0/1 on SQLite, as knex does.
import type { Knex } from 'knex';
import type { Dialect } from '../lib/db.js';
import type { Executor } from './base.js';
import { readerFirst, sqliteReader } from './sqlite-reader.js';

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export interface NativeResult<T> {
  rows: T[];
  /** rows written by an insert, update or delete */
  changes: number;
}

/**
 * Statements with more parameters than this (multi-row inserts, whose text
 * varies with the row count) are not named: each name is a statement the
 * server keeps for the connection's life.
 */
const MAX_NAMED_PARAMS = 64;

/** the PostgreSQL form of each named statement (`$n` placeholders) and its name */
const pgForms = new Map<string, { name: string; text: string }>();

function dollarPlaceholders(sql: string): string {
  let n = 0;
  // no statement here has a literal question mark, so every `?` is a placeholder
  return sql.replace(/\?/g, () => `$${++n}`);
}

let statementCount = 0;

function pgForm(sql: string): { name: string; text: string } {
  let form = pgForms.get(sql);
  if (!form) {
    form = { name: `forge_actions_${++statementCount}`, text: dollarPlaceholders(sql) };
    pgForms.set(sql, form);
  }
  return form;
}

/**
 * PostgreSQL refuses a prepared `select *` for good once its table gained a
 * column (another instance migrated during a rolling upgrade): "cached plan
 * must not change result type". The statement then gets a new name, which
 * every connection prepares afresh.
 */
function isStalePlan(e: unknown): boolean {
  return (e as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((e as Error).message ?? '');
}

async function pgQuery(conn: PgConnection, k: Executor, sql: string, bindings: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
  if (bindings.length > MAX_NAMED_PARAMS) return conn.query({ text: dollarPlaceholders(sql), values: bindings });
  try {
    return await conn.query({ ...pgForm(sql), values: bindings });
  } catch (e) {
    if (!isStalePlan(e)) throw e;
    pgForms.delete(sql);
    // inside a transaction the failed statement has aborted it: the caller's operation fails this once
    if ((k as Knex.Transaction).isTransaction) throw e;
    return conn.query({ ...pgForm(sql), values: bindings });
  }
}

function sqliteValue(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

async function onConnection<T>(k: Executor, use: (conn: unknown) => Promise<T>): Promise<T> {
  const client = k.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  // a transaction's client hands out the transaction's own connection and keeps it on release
  const conn = await client.acquireConnection();
  try {
    return await use(conn);
  } finally {
    if (!(k as Knex.Transaction).isTransaction) await client.releaseConnection(conn);
  }
}

function announce(k: Executor, sql: string, bindings: unknown[]): void {
  // the same notification knex gives for its own statements, so query counters see these too
  (k.client as { emit(event: string, obj: unknown): void }).emit('query', { sql, bindings, native: true });
}

export async function nativeQuery<T = Record<string, unknown>>(k: Executor, dialect: Dialect, sql: string, bindings: unknown[]): Promise<NativeResult<T>> {
  announce(k, sql, bindings);
  return onConnection(k, async (conn) => {
    if (dialect === 'pg') {
      const res = await pgQuery(conn as PgConnection, k, sql, bindings);
      return { rows: res.rows as T[], changes: res.rowCount ?? 0 };
    }
    const stmt = (conn as SqliteConnection).prepare(sql);
    const values = bindings.map(sqliteValue);
    if (stmt.reader) {
      const rows = stmt.all(...values) as T[];
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: stmt.run(...values).changes };
  });
}

/**
 * The first row of a read that needs only committed state (the runner poll):
 * on SQLite through the side reader when there is one (models/sqlite-reader.ts),
 * elsewhere as nativeFirst.
 */
export async function committedFirst<T = Record<string, unknown>>(k: Executor, dialect: Dialect, sql: string, bindings: unknown[]): Promise<T | undefined> {
  const reader = dialect === 'sqlite' ? sqliteReader(k) : null;
  if (!reader) return nativeFirst<T>(k, dialect, sql, bindings);
  announce(k, sql, bindings);
  return readerFirst<T>(reader, sql, bindings.map(sqliteValue));
}

export async function nativeRows<T = Record<string, unknown>>(k: Executor, dialect: Dialect, sql: string, bindings: unknown[]): Promise<T[]> {
  return (await nativeQuery<T>(k, dialect, sql, bindings)).rows;
}

export async function nativeFirst<T = Record<string, unknown>>(k: Executor, dialect: Dialect, sql: string, bindings: unknown[]): Promise<T | undefined> {
  return (await nativeQuery<T>(k, dialect, sql, bindings)).rows[0];
}

/**
 * `insert into table (cols) values (?, …), …` with bindings in order. The
 * columns are the first row's defined ones; every row must have the same.
 */
export function insertSql(table: string, rows: Record<string, unknown> | Array<Record<string, unknown>>, tail = ''): { sql: string; bindings: unknown[] } {
  const list = Array.isArray(rows) ? rows : [rows];
  const first = list[0]!;
  const cols = Object.keys(first).filter((c) => first[c] !== undefined);
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const sql = `insert into ${table} (${cols.map(quote).join(', ')}) values ${list.map(() => tuple).join(', ')}${tail ? ` ${tail}` : ''}`;
  const bindings: unknown[] = [];
  for (const r of list) for (const c of cols) bindings.push(r[c]);
  return { sql, bindings };
}

/** `update table set a = ?, … where k = ? and …`; undefined values are left out */
export function updateSql(table: string, fields: Record<string, unknown>, where: Record<string, unknown>): { sql: string; bindings: unknown[] } {
  const cols = Object.keys(fields).filter((c) => fields[c] !== undefined);
  const keys = Object.keys(where);
  // an undefined condition would widen the update; knex refuses it too
  for (const c of keys) if (where[c] === undefined) throw new Error(`update ${table}: undefined value for where ${c}`);
  const sql = `update ${table} set ${cols.map((c) => `${quote(c)} = ?`).join(', ')} where ${keys.map((c) => `${quote(c)} = ?`).join(' and ')}`;
  return { sql, bindings: [...cols.map((c) => fields[c]), ...keys.map((c) => where[c])] };
}

/** column names are the gateways' own (never input); `index` is a keyword on both databases */
function quote(col: string): string {
  return `"${col}"`;
}

/** a conditional update through the driver; returns the rows changed (0 when there is nothing to set) */
export async function nativeUpdate(k: Executor, dialect: Dialect, table: string, fields: Record<string, unknown>, where: Record<string, unknown>): Promise<number> {
  if (!Object.values(fields).some((v) => v !== undefined)) return 0;
  const { sql, bindings } = updateSql(table, fields, where);
  return (await nativeQuery(k, dialect, sql, bindings)).changes;
}
