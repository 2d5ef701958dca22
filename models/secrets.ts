// Gateway for action_secret. `data` holds ciphertext only (see lib/keys.ts);
// nothing here decrypts.
import type { Dialect } from '../lib/db.js';
import { forUpdate, scopedRowsForRun, type Executor, type ScopedRow } from './base.js';

export type SecretRow = ScopedRow;

/** the stored scope columns: 0 means "none" */
export interface ScopeColumns {
  owner_id: number;
  repo_id: number;
}

export class SecretGateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async find(scope: ScopeColumns, name: string): Promise<SecretRow | undefined> {
    return (await this.k('action_secret').where({ ...scope, name }).first()) as SecretRow | undefined;
  }

  /** inserts with a placeholder `data` and returns the id the ciphertext is bound to */
  async insertPlaceholder(scope: ScopeColumns, name: string, now: number): Promise<number> {
    const [row] = await this.k('action_secret').insert({ ...scope, name, data: '', created: now, updated: now }).returning('id');
    return Number((row as { id: number }).id);
  }

  async setData(id: number, data: string, now?: number): Promise<void> {
    await this.k('action_secret').where({ id }).update(now === undefined ? { data } : { data, updated: now });
  }

  async delete(id: number): Promise<number> {
    return this.k('action_secret').where({ id }).delete();
  }

  /** names and dates only: the list never carries ciphertext out of the gateway */
  async list(scope: ScopeColumns): Promise<Array<Pick<SecretRow, 'id' | 'name' | 'created' | 'updated'>>> {
    return this.k('action_secret').where(scope).orderBy('name').select('id', 'name', 'created', 'updated');
  }

  /** the rows a run sees: instance, then owner, then repository (callers let later rows win) */
  async forRun(ownerId: number, repoId: number): Promise<SecretRow[]> {
    return scopedRowsForRun(this.k, this.dialect, 'action_secret', ownerId, repoId);
  }

  async all(opts: { lock?: boolean } = {}): Promise<SecretRow[]> {
    const q = this.k('action_secret').orderBy('id');
    if (opts.lock) forUpdate(q, this.dialect);
    return (await q) as SecretRow[];
  }

  async count(): Promise<number> {
    const row = (await this.k('action_secret').count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }
}
