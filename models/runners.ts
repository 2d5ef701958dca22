// Gateway for action_runner. Deleted runners (deleted != 0) are invisible to
// every lookup here, like Forgejo's soft-delete tag.
import type { Dialect } from '../lib/db.js';
import { bool, jsonArray, type Executor, type Gateway } from './base.js';
import { nativeFirst } from './native.js';

export interface RunnerRow {
  id: number;
  uuid: string;
  name: string;
  version: string;
  owner_id: number;
  repo_id: number;
  description: string;
  token_hash: string;
  labels: string[];
  ephemeral: boolean;
  last_online: number;
  last_active: number;
  deleted: number;
  created: number;
  updated: number;
}

export type NewRunner = Omit<RunnerRow, 'id' | 'deleted' | 'last_online' | 'last_active'>;

export function toRunner(r: Record<string, unknown> | undefined): RunnerRow | undefined {
  if (!r) return undefined;
  return {
    ...(r as unknown as RunnerRow),
    labels: jsonArray(r.labels),
    ephemeral: bool(r.ephemeral),
  };
}

/** Forgejo's DeleteRunner rewrites the uuid so the old one can never match again: ffffffff-ffff-ffff-<id as 8 bytes LE> */
export function deletedUuid(id: number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(id));
  const h = b.toString('hex');
  return `ffffffff-ffff-ffff-${h.slice(0, 4)}-${h.slice(4)}`;
}

export interface RunnerScope {
  ownerId: number;
  repoId: number;
}

export class RunnerGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async get(id: number): Promise<RunnerRow | undefined> {
    return toRunner(await this.k('action_runner').where({ id, deleted: 0 }).first());
  }

  async byUuid(uuid: string): Promise<RunnerRow | undefined> {
    // every runner call authenticates with this read
    return toRunner(await nativeFirst(this.k, this.dialect, 'select * from action_runner where uuid = ? and deleted = 0', [uuid]));
  }

  /**
   * The runner, the tasks version of its own scope, and whether a task already
   * carries the request key, in one read: an idle poll costs exactly this query.
   */
  async forPoll(uuid: string, requestKey: string | null): Promise<{ runner: RunnerRow; version: number; keyUsed: boolean } | undefined> {
    // the hot path of every poll: through the driver, a prepared (named) statement on PostgreSQL
    const keyed = requestKey !== null;
    const sql =
      'select r.*, (select v.version from action_tasks_version v where v.owner_id = r.owner_id and v.repo_id = r.repo_id) as tasks_version__' +
      (keyed ? ', exists (select 1 from action_task t where t.runner_id = r.id and t.runner_request_key = ?) as key_used__' : '') +
      ' from action_runner r where r.uuid = ? and r.deleted = 0 limit 1';
    const row = await nativeFirst(this.k, this.dialect, sql, keyed ? [requestKey, uuid] : [uuid]);
    if (!row) return undefined;
    const { tasks_version__: v, key_used__: used, ...rest } = row;
    return { runner: toRunner(rest)!, version: Number(v ?? 0), keyUsed: bool(used) };
  }

  async insert(runner: NewRunner): Promise<RunnerRow> {
    const [row] = await this.k('action_runner')
      .insert({ ...runner, labels: JSON.stringify(runner.labels), deleted: 0, last_online: 0, last_active: 0 })
      .returning('*');
    return toRunner(row as Record<string, unknown>)!;
  }

  async update(id: number, fields: Partial<Omit<RunnerRow, 'id'>>): Promise<number> {
    const cols: Record<string, unknown> = { ...fields };
    if (fields.labels) cols.labels = JSON.stringify(fields.labels);
    return this.k('action_runner').where({ id, deleted: 0 }).update(cols);
  }

  /**
   * Writes `now` to last_online and/or last_active, each given with the age
   * its stored value must have reached: the condition is in the UPDATE, so
   * instances racing on the same runner write once between them.
   */
  async touch(id: number, now: number, due: { online?: number; active?: number }): Promise<void> {
    const fields: Record<string, number> = {};
    if (due.online !== undefined) fields.last_online = now;
    if (due.active !== undefined) fields.last_active = now;
    await this.k('action_runner')
      .where({ id })
      .andWhere((q) => {
        if (due.online !== undefined) q.orWhere('last_online', '<=', now - due.online);
        if (due.active !== undefined) q.orWhere('last_active', '<=', now - due.active);
      })
      .update(fields);
  }

  async softDelete(id: number, now: number): Promise<number> {
    return this.k('action_runner').where({ id, deleted: 0 }).update({ uuid: deletedUuid(id), deleted: now, updated: now });
  }

  async listByScope(scope: RunnerScope | null): Promise<RunnerRow[]> {
    const q = this.k('action_runner').where({ deleted: 0 }).orderBy('id');
    if (scope) q.where({ owner_id: scope.ownerId, repo_id: scope.repoId });
    return (await q).map((r: Record<string, unknown>) => toRunner(r)!);
  }
}
