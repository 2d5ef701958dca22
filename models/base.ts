// Shared pieces of the table gateways: the executor type (a Knex instance or a
// transaction), dialect checks, and row conversions both drivers agree on.
import type { Knex } from 'knex';
import type { Dialect } from '../lib/db.js';

export type Executor = Knex | Knex.Transaction;

export interface Gateway {
  readonly k: Executor;
  readonly dialect: Dialect;
}

/** SQLite returns 0/1 for booleans, PostgreSQL true/false. */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export function jsonArray(v: unknown): string[] {
  if (typeof v !== 'string' || v === '') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** Row locks exist on PostgreSQL only; on SQLite the single writer serialises transactions anyway. */
export function forUpdate(qb: Knex.QueryBuilder, dialect: Dialect): void {
  if (dialect === 'pg') qb.forUpdate();
}

/** A transaction-scoped advisory lock on PostgreSQL (a no-op on SQLite, where writers are serialised). */
export async function advisoryXactLock(k: Executor, dialect: Dialect, key: string): Promise<void> {
  if (dialect !== 'pg') return;
  await k.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
}
