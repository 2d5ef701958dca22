// Gateway for action_variable (plain text values).
import type { Executor } from './base.js';
import type { ScopeColumns } from './secrets.js';

export interface VariableRow {
  id: number;
  owner_id: number;
  repo_id: number;
  name: string;
  data: string;
  created: number;
  updated: number;
}

export class VariableGateway {
  constructor(readonly k: Executor) {}

  async find(scope: ScopeColumns, name: string): Promise<VariableRow | undefined> {
    return (await this.k('action_variable').where({ ...scope, name }).first()) as VariableRow | undefined;
  }

  async insert(scope: ScopeColumns, name: string, data: string, now: number): Promise<VariableRow> {
    const [row] = await this.k('action_variable').insert({ ...scope, name, data, created: now, updated: now }).returning('*');
    return row as VariableRow;
  }

  async update(id: number, fields: { name: string; data: string; updated: number }): Promise<void> {
    await this.k('action_variable').where({ id }).update(fields);
  }

  async delete(id: number): Promise<number> {
    return this.k('action_variable').where({ id }).delete();
  }

  async list(scope: ScopeColumns): Promise<VariableRow[]> {
    return (await this.k('action_variable').where(scope).orderBy('name')) as VariableRow[];
  }

  /** instance, then owner, then repository rows (callers let later rows win) */
  async forRun(ownerId: number, repoId: number): Promise<VariableRow[]> {
    const rows = (await this.k('action_variable')
      .where({ owner_id: 0, repo_id: 0 })
      .orWhere((q) => q.where({ owner_id: ownerId, repo_id: 0 }).whereNot('owner_id', 0))
      .orWhere((q) => q.where({ owner_id: 0, repo_id: repoId }).whereNot('repo_id', 0))) as VariableRow[];
    const rank = (r: VariableRow) => (r.repo_id !== 0 ? 2 : r.owner_id !== 0 ? 1 : 0);
    return rows.sort((a, b) => rank(a) - rank(b) || a.id - b.id);
  }
}
