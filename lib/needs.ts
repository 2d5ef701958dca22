// The `needs` a job sees: for each needed job key, the aggregate result over
// its matrix siblings and their task outputs merged (spec job-lifecycle §2.7).
import type { Executor } from '../models/base.js';
import type { JobRow } from '../models/jobs.js';
import { aggregateStatus, isDone, statusName } from './status.js';

export interface NeedResult {
  result: number;
  outputs: Record<string, string>;
}

async function outputsOfTasks(k: Executor, taskIds: number[]): Promise<Map<number, Record<string, string>>> {
  const byTask = new Map<number, Record<string, string>>();
  if (taskIds.length === 0) return byTask;
  const rows = await k('action_task_output').whereIn('task_id', taskIds).select('task_id', 'output_key', 'output_value');
  for (const r of rows as Array<{ task_id: number; output_key: string; output_value: string }>) {
    const o = byTask.get(r.task_id) ?? {};
    o[r.output_key] = r.output_value;
    byTask.set(r.task_id, o);
  }
  return byTask;
}

/**
 * Needs of a job among the jobs of its run. Later siblings override earlier
 * ones key by key, except that an empty value keeps the earlier one.
 */
export async function collectNeeds(k: Executor, runJobs: JobRow[], needIds: string[]): Promise<Record<string, NeedResult>> {
  const wanted = new Set(needIds);
  const siblings = runJobs.filter((j) => wanted.has(j.job_id));
  const outputs = await outputsOfTasks(
    k,
    siblings.filter((j) => j.task_id > 0 && isDone(j.status)).map((j) => j.task_id),
  );
  const result: Record<string, NeedResult> = {};
  for (const id of needIds) {
    const jobs = siblings.filter((j) => j.job_id === id);
    if (jobs.length === 0) continue;
    let merged: Record<string, string> | undefined;
    for (const j of jobs) {
      if (j.task_id === 0 || !isDone(j.status)) continue;
      const mine = outputs.get(j.task_id) ?? {};
      if (!merged) merged = { ...mine };
      else {
        const next: Record<string, string> = {};
        for (const [key, value] of Object.entries(mine)) next[key] = value !== '' ? value : (merged[key] ?? '');
        merged = next;
      }
    }
    result[id] = { result: aggregateStatus(jobs.map((j) => j.status)), outputs: merged ?? {} };
  }
  return result;
}

/** The needs as the expression engine takes them: result words instead of numbers. */
export function needsForExpressions(needs: Record<string, NeedResult>): Record<string, { result: string; outputs: Record<string, string> }> {
  return Object.fromEntries(Object.entries(needs).map(([id, n]) => [id, { result: statusName(n.result), outputs: n.outputs }]));
}
