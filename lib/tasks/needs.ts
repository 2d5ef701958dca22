// Task.needs: for each job key the job needs, the aggregate result over the
// jobs with that key (matrix siblings) and their merged outputs (spec §4.7).
import type { Executor } from '../../models/base.js';
import type { Dialect } from '../db.js';
import type { JobRow } from '../../models/jobs.js';
import { TaskOutputGateway } from '../../models/task-outputs.js';
import { aggregateStatus } from '../status.js';

export interface TaskNeedData {
  outputs: Record<string, string>;
  result: number;
}

export async function buildNeeds(k: Executor, dialect: Dialect, job: JobRow): Promise<Record<string, TaskNeedData>> {
  if (job.needs.length === 0) return {};
  const rows = (await k('action_run_job')
    .where({ run_id: job.run_id })
    .whereIn('job_id', job.needs)
    .orderBy('id')
    .select('id', 'job_id', 'status', 'task_id')) as Array<{ id: number; job_id: string; status: number; task_id: number }>;
  const outputs = await new TaskOutputGateway(k, dialect).ofTasks(rows.filter((r) => r.task_id > 0).map((r) => r.task_id));
  const byTask = new Map<number, Record<string, string>>();
  for (const o of outputs) {
    const m = byTask.get(o.task_id) ?? {};
    m[o.output_key] = o.output_value;
    byTask.set(o.task_id, m);
  }
  const needs: Record<string, TaskNeedData> = {};
  for (const key of job.needs) {
    const siblings = rows.filter((r) => r.job_id === key);
    const merged: Record<string, string> = {};
    let first = true;
    for (const s of siblings) {
      if (s.task_id <= 0) continue;
      const m = byTask.get(s.task_id) ?? {};
      // the first map is the base; later non-empty values override (Forgejo's mergeTwoOutputs)
      for (const [name, value] of Object.entries(m)) if (first || value !== '') merged[name] = value;
      first = false;
    }
    needs[key] = { outputs: merged, result: aggregateStatus(siblings.map((s) => Number(s.status))) };
  }
  return needs;
}
