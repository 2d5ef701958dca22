// Gateway for action_task and for claiming waiting jobs (the row claim that
// turns a waiting job into a running task).
import type { Knex } from 'knex';
import type { Dialect } from '../lib/db.js';
import { bool, forUpdate, jsonArray, type Executor, type Gateway } from './base.js';
import { toJob, type JobRow } from './jobs.js';

export interface TaskRow {
  id: number;
  job_id: number;
  attempt: number;
  runner_id: number;
  status: number;
  started: number;
  stopped: number;
  repo_id: number;
  owner_id: number;
  commit_sha: string;
  is_fork_pull_request: boolean;
  token_hash: string | null;
  runner_request_key: string | null;
  log_filename: string;
  log_in_storage: boolean;
  log_length: number;
  log_size: number;
  log_expired: boolean;
  created: number;
  updated: number;
}

export type NewTask = Omit<TaskRow, 'id' | 'log_in_storage' | 'log_length' | 'log_size' | 'log_expired' | 'log_filename'>;

export function toTask(r: Record<string, unknown> | undefined): TaskRow | undefined {
  if (!r) return undefined;
  return {
    ...(r as unknown as TaskRow),
    is_fork_pull_request: bool(r.is_fork_pull_request),
    log_in_storage: bool(r.log_in_storage),
    log_expired: bool(r.log_expired),
  };
}

/** a claimable job as candidates() reads it */
export interface Candidate {
  id: number;
  run_id: number;
  runs_on: string[];
  updated: number;
}

export interface CandidateScope {
  ownerId: number;
  repoId: number;
}

export class TaskGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async get(id: number, opts: { lock?: boolean } = {}): Promise<TaskRow | undefined> {
    const q = this.k('action_task').where({ id }).first();
    if (opts.lock) forUpdate(q, this.dialect);
    return toTask(await q);
  }

  /** the task and the run of its job (undefined when the job is gone), one read without locks */
  async getWithRunId(id: number): Promise<{ task: TaskRow; runId: number | undefined } | undefined> {
    const row = (await this.k('action_task as t').leftJoin('action_run_job as j', 'j.id', 't.job_id').where('t.id', id).first('t.*', 'j.run_id as run_id__')) as
      | Record<string, unknown>
      | undefined;
    if (!row) return undefined;
    const { run_id__: runId, ...task } = row;
    return { task: toTask(task)!, runId: runId === null || runId === undefined ? undefined : Number(runId) };
  }

  /** tasks a FetchTask call with this key assigned to this runner, in assignment order */
  async byRequestKey(runnerId: number, key: string): Promise<TaskRow[]> {
    const rows = await this.k('action_task').where({ runner_id: runnerId, runner_request_key: key }).orderBy('id');
    return rows.map((r: Record<string, unknown>) => toTask(r)!);
  }

  async anyOfRunner(runnerId: number): Promise<boolean> {
    return (await this.k('action_task').where({ runner_id: runnerId }).first('id')) !== undefined;
  }

  async insert(task: NewTask): Promise<TaskRow> {
    const [row] = await this.k('action_task').insert(task).returning('*');
    return toTask(row as Record<string, unknown>)!;
  }

  /** inserts a task (with `id` when it was allocated by claimJob) and returns only its id */
  async insertReturningId(task: NewTask & { id?: number; log_filename?: string }): Promise<number> {
    const [row] = await this.k('action_task').insert(task).returning('id');
    return Number((row as { id: number }).id ?? row);
  }

  async update(id: number, fields: Partial<Omit<TaskRow, 'id'>>, where: Partial<Pick<TaskRow, 'status'>> = {}): Promise<number> {
    return this.k('action_task').where({ id, ...where }).update(fields);
  }

  /**
   * A page of claimable jobs visible to a scope, oldest first (Forgejo's
   * `updated, id` order). A plain read: the claim itself is conditional, so
   * a stale page only costs a failed claim. `extra` narrows by run (the
   * concurrency queue-behind hook).
   */
  async candidates(scope: CandidateScope, limit: number, afterId: { updated: number; id: number } | null, extra?: (q: Knex.QueryBuilder) => void): Promise<Candidate[]> {
    // only what choosing needs: the claim returns the whole row (payloads of a 100-row page are not read)
    const q = this.k('action_run_job as j').select('j.id', 'j.run_id', 'j.runs_on', 'j.updated').where({ 'j.status': 5, 'j.task_id': 0 });
    if (scope.repoId > 0) q.where('j.repo_id', scope.repoId);
    else if (scope.ownerId > 0) q.where('j.owner_id', scope.ownerId);
    if (afterId) q.where((w) => w.where('j.updated', '>', afterId.updated).orWhere((x) => x.where('j.updated', afterId.updated).where('j.id', '>', afterId.id)));
    if (extra) extra(q);
    q.orderBy([{ column: 'j.updated' }, { column: 'j.id' }]).limit(limit);
    return (await q).map((r: Record<string, unknown>) => ({ id: Number(r.id), run_id: Number(r.run_id), runs_on: jsonArray(r.runs_on), updated: Number(r.updated) }));
  }

  /**
   * The row claim: takes a waiting, unclaimed job for a task in the caller's
   * transaction. On PostgreSQL a row another transaction holds is skipped
   * instead of waited for; either way exactly one claimer can change the row.
   * Returns the claimed job, or undefined when it is no longer claimable.
   */
  async claimJob(jobId: number, now: number): Promise<JobRow | undefined> {
    const k = this.k;
    const q = k('action_run_job').where({ id: jobId, status: 5, task_id: 0 });
    if (this.dialect === 'pg') {
      q.whereIn('id', k('action_run_job').select('id').where({ id: jobId }).forUpdate().skipLocked());
      // the task's id is taken from its sequence in the same statement: the job points at it at once, and
      // the task row (inserted next, with that id and its log file name) needs no second write
      const rows = (await q.update(
        { task_id: k.raw("nextval(pg_get_serial_sequence('action_task', 'id'))"), status: 6, attempt: k.raw('attempt + 1'), started: now, updated: now },
        ['*'],
      )) as Record<string, unknown>[];
      return rows.length === 1 ? toJob(rows[0]) : undefined;
    }
    // task_id -1 marks the claim until the task row exists, inside this same transaction (SQLite: one writer)
    const rows = (await q.update({ task_id: -1, status: 6, attempt: k.raw('attempt + 1'), started: now, updated: now }, ['*'])) as Record<string, unknown>[];
    return rows.length === 1 ? toJob(rows[0]) : undefined;
  }

  async setJobTask(jobId: number, taskId: number): Promise<void> {
    await this.k('action_run_job').where({ id: jobId, task_id: -1 }).update({ task_id: taskId });
  }
}
