// Gateway for action_runner. Deleted runners (deleted != 0) are invisible to
// every lookup here, like Forgejo's soft-delete tag.
import type { Dialect } from '../lib/db.js';
import { bool, jsonArray, type Executor, type Gateway } from './base.js';
import { committedFirst, nativeFirst } from './native.js';

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

/** a runner as FetchTask uses it: a claim needs no more of it than this */
export type PollingRunner = Pick<RunnerRow, 'id' | 'owner_id' | 'repo_id' | 'ephemeral' | 'labels'>;

/**
 * What a poll reads of a runner: its credentials, the tasks version of its own
 * scope (0 when there is none yet), whether a task already carries the call's
 * request key, and what a claim needs, the labels still as stored (JSON text),
 * parsed only when there is work to look at.
 */
export interface PollRow extends Pick<RunnerRow, 'id' | 'token_hash' | 'last_online' | 'owner_id' | 'repo_id' | 'ephemeral'> {
  labelsJson: string;
  version: number;
  keyUsed: boolean;
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
   * The one read of a poll. Only the columns it needs: building the whole row
   * was most of what the read cost on SQLite.
   */
  async forPoll(uuid: string, requestKey: string | null): Promise<PollRow | undefined> {
    const keyed = requestKey !== null;
    const row = await committedFirst<Record<string, unknown>>(
      this.k,
      this.dialect,
      'select r.id, r.token_hash, r.last_online, r.owner_id, r.repo_id, r.ephemeral, r.labels,' +
        ' (select v.version from action_tasks_version v where v.owner_id = r.owner_id and v.repo_id = r.repo_id) as version' +
        (keyed ? ', exists (select 1 from action_task t where t.runner_id = r.id and t.runner_request_key = ?) as key_used' : '') +
        ' from action_runner r where r.uuid = ? and r.deleted = 0',
      keyed ? [requestKey, uuid] : [uuid],
    );
    if (!row) return undefined;
    // Number(): a host's own pg client may hand int8 columns back as strings
    return {
      id: Number(row.id),
      token_hash: row.token_hash as string,
      last_online: Number(row.last_online),
      owner_id: Number(row.owner_id),
      repo_id: Number(row.repo_id),
      ephemeral: bool(row.ephemeral),
      labelsJson: row.labels as string,
      version: Number(row.version ?? 0),
      keyUsed: bool(row.key_used),
    };
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
