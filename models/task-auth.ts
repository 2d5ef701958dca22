// Task lookups for authentication (task token, runtime token). Read-only; the
// task gateway proper (models/tasks.ts) owns every write.
import type { Executor } from './base.js';
import { bool } from './base.js';

export interface TaskAuthRow {
  id: number;
  job_id: number;
  status: number;
  repo_id: number;
  owner_id: number;
  is_fork_pull_request: boolean;
  run_id: number;
}

const columns = ['t.id', 't.job_id', 't.status', 't.repo_id', 't.owner_id', 't.is_fork_pull_request', 'j.run_id'];

function toRow(r: Record<string, unknown> | undefined): TaskAuthRow | undefined {
  if (!r) return undefined;
  return { ...(r as unknown as TaskAuthRow), is_fork_pull_request: bool(r.is_fork_pull_request) };
}

/** by the unique token_hash index */
export async function taskByTokenHash(k: Executor, tokenHash: string): Promise<TaskAuthRow | undefined> {
  return toRow(await k('action_task as t').join('action_run_job as j', 'j.id', 't.job_id').where('t.token_hash', tokenHash).first(columns));
}

export async function taskById(k: Executor, id: number): Promise<TaskAuthRow | undefined> {
  return toRow(await k('action_task as t').join('action_run_job as j', 'j.id', 't.job_id').where('t.id', id).first(columns));
}
