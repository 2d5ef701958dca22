// Gateway for action_run_job (claiming lives in the task assignment gateway).
import type { Dialect } from '../lib/db.js';
import { bool, jsonArray, type Executor, type Gateway } from './base.js';
import { insertSql, nativeFirst, nativeRows, nativeUpdate } from './native.js';

export interface JobRow {
  id: number;
  run_id: number;
  repo_id: number;
  owner_id: number;
  commit_sha: string;
  is_fork_pull_request: boolean;
  name: string;
  job_id: string;
  attempt: number;
  workflow_payload: string;
  needs: string[];
  runs_on: string[];
  task_id: number;
  status: number;
  concurrency_group: string;
  concurrency_cancel: boolean;
  started: number;
  stopped: number;
  created: number;
  updated: number;
}

export type NewJob = Omit<JobRow, 'id'>;

export function toJob(r: Record<string, unknown> | undefined): JobRow | undefined {
  if (!r) return undefined;
  return {
    ...(r as unknown as JobRow),
    is_fork_pull_request: bool(r.is_fork_pull_request),
    concurrency_cancel: bool(r.concurrency_cancel),
    needs: jsonArray(r.needs),
    runs_on: jsonArray(r.runs_on),
  };
}

function toColumns(job: Partial<JobRow>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...job };
  if (job.needs) out.needs = JSON.stringify(job.needs);
  if (job.runs_on) out.runs_on = JSON.stringify(job.runs_on);
  return out;
}

export class JobGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async get(id: number, opts: { lock?: boolean } = {}): Promise<JobRow | undefined> {
    const lock = opts.lock && this.dialect === 'pg' ? ' for update' : '';
    return toJob(await nativeFirst(this.k, this.dialect, `select * from action_run_job where id = ?${lock}`, [id]));
  }

  async ofRun(runId: number, opts: { lock?: boolean } = {}): Promise<JobRow[]> {
    const lock = opts.lock && this.dialect === 'pg' ? ' for update' : '';
    const rows = await nativeRows(this.k, this.dialect, `select * from action_run_job where run_id = ? order by id${lock}`, [runId]);
    return rows.map((r) => toJob(r)!);
  }

  /** the statuses of a run's jobs, in id order (no payloads read) */
  async statusesOfRun(runId: number): Promise<number[]> {
    const rows = await nativeRows<{ status: number }>(this.k, this.dialect, 'select status from action_run_job where run_id = ? order by id', [runId]);
    return rows.map((r) => Number(r.status));
  }

  /** the jobs of several runs, in id order */
  async ofRuns(runIds: number[]): Promise<JobRow[]> {
    if (runIds.length === 0) return [];
    const rows = await this.k('action_run_job').whereIn('run_id', runIds).orderBy('id');
    return rows.map((r: Record<string, unknown>) => toJob(r)!);
  }

  /** the jobs of a run with the given job keys (a job's needs), in id order */
  async ofRunByKeys(runId: number, jobKeys: string[]): Promise<JobRow[]> {
    if (jobKeys.length === 0) return [];
    const rows = await this.k('action_run_job').where({ run_id: runId }).whereIn('job_id', jobKeys).orderBy('id');
    return rows.map((r: Record<string, unknown>) => toJob(r)!);
  }

  async insertMany(jobs: NewJob[]): Promise<JobRow[]> {
    if (jobs.length === 0) return [];
    const rows = await this.k('action_run_job').insert(jobs.map(toColumns)).returning('*');
    return (rows as Record<string, unknown>[]).map((r) => toJob(r)!);
  }

  /** inserts without reading the rows back (run creation needs none of them) */
  async insertAll(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    // every row has the same columns (insertSql needs that): the planned jobs of one run
    const { sql, bindings } = insertSql('action_run_job', jobs.map(toColumns));
    await nativeRows(this.k, this.dialect, sql, bindings);
  }

  /** a conditional update: `where` guards against a concurrent change; returns the rows changed */
  async update(id: number, fields: Partial<JobRow>, where: Partial<Pick<JobRow, 'status' | 'task_id' | 'attempt'>> = {}): Promise<number> {
    return nativeUpdate(this.k, this.dialect, 'action_run_job', toColumns(fields), { id, ...where });
  }
}
