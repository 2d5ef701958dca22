// Gateway for action_variable (plain text values).
import type { Dialect } from '../lib/db.js';
import { scopedRowsForRun, type Executor, type ScopedRow } from './base.js';
import type { ScopeColumns } from './secrets.js';

export type VariableRow = ScopedRow;

export class VariableGateway {
  constructor(
    readonly k: Executor,
    readonly dialect: Dialect,
  ) {}

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
    return scopedRowsForRun(this.k, this.dialect, 'action_variable', ownerId, repoId);
  }
}
