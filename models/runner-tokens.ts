// Gateway for action_runner_token: registration tokens, one active per scope.
import type { Dialect } from '../lib/db.js';
import { bool, type Executor, type Gateway } from './base.js';
import type { RunnerScope } from './runners.js';

export interface RunnerTokenRow {
  id: number;
  token: string;
  owner_id: number;
  repo_id: number;
  is_active: boolean;
  created: number;
  updated: number;
}

function toToken(r: Record<string, unknown> | undefined): RunnerTokenRow | undefined {
  return r ? { ...(r as unknown as RunnerTokenRow), is_active: bool(r.is_active) } : undefined;
}

export class RunnerTokenGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async byToken(token: string): Promise<RunnerTokenRow | undefined> {
    return toToken(await this.k('action_runner_token').where({ token }).first());
  }

  async latest(scope: RunnerScope): Promise<RunnerTokenRow | undefined> {
    return toToken(await this.k('action_runner_token').where({ owner_id: scope.ownerId, repo_id: scope.repoId }).orderBy('id', 'desc').first());
  }

  async deactivateScope(scope: RunnerScope, now: number): Promise<void> {
    await this.k('action_runner_token').where({ owner_id: scope.ownerId, repo_id: scope.repoId, is_active: true }).update({ is_active: false, updated: now });
  }

  async insert(scope: RunnerScope, token: string, now: number): Promise<RunnerTokenRow> {
    const [row] = await this.k('action_runner_token')
      .insert({ token, owner_id: scope.ownerId, repo_id: scope.repoId, is_active: true, created: now, updated: now })
      .returning('*');
    return toToken(row as Record<string, unknown>)!;
  }
}
