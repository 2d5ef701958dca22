// Shared pieces of the table gateways: the executor type (a Knex instance or a
// transaction), dialect checks, and row conversions both drivers agree on.
import type { Knex } from 'knex';
import type { Dialect } from '../lib/db.js';
import { nativeRows } from './native.js';

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
  // through the driver: every claim with a request key takes one
  await nativeRows(k, dialect, 'select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
}

/** a row of a table scoped like Forgejo's secrets and variables: instance (0/0), owner (N/0) or repository (0/N) */
export interface ScopedRow {
  id: number;
  owner_id: number;
  repo_id: number;
  name: string;
  data: string;
  created: number;
  updated: number;
}

/** the rows (of table alias `t`, '' for none) a run of owner `owner` and repository `repo` sees: SQL expressions or `?` */
function scopeOfRun(t: string, owner: string, repo: string): string {
  return `(${t}owner_id = 0 and ${t}repo_id = 0) or (${t}owner_id = ${owner} and ${t}repo_id = 0 and ${t}owner_id <> 0) or (${t}owner_id = 0 and ${t}repo_id = ${repo} and ${t}repo_id <> 0)`;
}
/** instance, then owner, then repository rows: a caller building a map lets the narrower scope win */
function scopeOrder(t: string): string {
  return `case when ${t}repo_id <> 0 then 2 when ${t}owner_id <> 0 then 1 else 0 end`;
}
const SCOPE_OF_RUN = scopeOfRun('', '?', '?');
const SCOPE_ORDER = scopeOrder('');

/**
 * The rows of `table` a run of repository `repoId` (owned by `ownerId`) sees:
 * instance, then owner, then repository rows, so that a caller building a
 * map lets the narrower scope win.
 */
export async function scopedRowsForRun(k: Executor, dialect: Dialect, table: 'action_secret' | 'action_variable', ownerId: number, repoId: number): Promise<ScopedRow[]> {
  return nativeRows<ScopedRow>(k, dialect, `select * from ${table} where ${SCOPE_OF_RUN} order by ${SCOPE_ORDER}, id`, [ownerId, repoId]);
}

/** what a task needs of a stored secret or variable */
export type StoredRow = Pick<ScopedRow, 'id' | 'name' | 'data'>;

export interface SecretsAndVariables {
  secrets: StoredRow[];
  variables: StoredRow[];
}

/**
 * PostgreSQL: scalar subqueries giving the secrets and the variables a run of
 * owner `owner` and repository `repo` (SQL expressions) sees, in scope order,
 * each as a JSON array of [id, name, data]; read with secretsAndVariablesFromJson.
 * For a statement that can read them on its way (the claim).
 */
export function pgSecretsAndVariablesJson(owner: string, repo: string): { secrets: string; variables: string } {
  const rows = (table: string) =>
    `(select coalesce(json_agg(json_build_array(t.id, t.name, t.data) order by ${scopeOrder('t.')}, t.id), '[]') from ${table} t where ${scopeOfRun('t.', owner, repo)})`;
  return { secrets: rows('action_secret'), variables: rows('action_variable') };
}

export function secretsAndVariablesFromJson(secrets: unknown, variables: unknown): SecretsAndVariables {
  const rows = (v: unknown): StoredRow[] =>
    (Array.isArray(v) ? v : []).map((r: unknown) => {
      const [id, name, data] = r as [unknown, unknown, unknown];
      return { id: Number(id), name: String(name), data: String(data) };
    });
  return { secrets: rows(secrets), variables: rows(variables) };
}

/** scopedRowsForRun of both tables in one statement: a claim needs both, and on PostgreSQL a statement is a round trip */
export async function secretsAndVariablesForRun(k: Executor, dialect: Dialect, ownerId: number, repoId: number): Promise<SecretsAndVariables> {
  const cols = 'id, name, data';
  // a union orders by its output columns only: the scope rank is one
  const rows = await nativeRows<StoredRow & { kind__: number }>(
    k,
    dialect,
    `select 0 as kind__, ${SCOPE_ORDER} as rank__, ${cols} from action_secret where ${SCOPE_OF_RUN}` +
      ` union all select 1 as kind__, ${SCOPE_ORDER} as rank__, ${cols} from action_variable where ${SCOPE_OF_RUN}` +
      ' order by kind__, rank__, id',
    [ownerId, repoId, ownerId, repoId],
  );
  const out: SecretsAndVariables = { secrets: [], variables: [] };
  for (const { kind__, id, name, data } of rows) (Number(kind__) === 0 ? out.secrets : out.variables).push({ id, name, data });
  return out;
}
