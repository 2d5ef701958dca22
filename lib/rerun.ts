// Reruns (spec job-lifecycle §4): a whole run, its failed jobs, or one job with
// every job that needs it. Rerun jobs are reset to waiting (or blocked behind
// their needs); the attempt grows when a runner picks them up.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import { RunGateway } from '../models/runs.js';
import { bumpTasksVersion } from '../models/tasks-version.js';
import type { Outbox } from './outbox.js';
import { FailedPrecondition } from './errors.js';
import { isDone, Status, statusName } from './status.js';
import { jobsChanged, lockRun } from './emitter.js';

export type RerunMode = { kind: 'run' } | { kind: 'failed' } | { kind: 'job'; jobId: number };

/** The job and everything downstream of it, by job key (Forgejo's GetAllRerunJobs, done for every matrix sibling). */
export function jobsToRerun(target: JobRow, all: JobRow[]): JobRow[] {
  const keys = new Set([target.job_id]);
  const chosen = new Map<number, JobRow>([[target.id, target]]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const j of all) {
      if (chosen.has(j.id) || keys.has(j.job_id)) continue;
      if (j.needs.some((n) => keys.has(n))) {
        chosen.set(j.id, j);
        keys.add(j.job_id);
        changed = true;
      }
    }
  }
  // dependents' matrix siblings belong to the rerun too (Forgejo forgets them)
  for (const j of all) if (keys.has(j.job_id) && j.job_id !== target.job_id) chosen.set(j.id, j);
  return [...chosen.values()];
}

export async function rerun(k: Executor, deps: Deps, outbox: Outbox, runId: number, mode: RerunMode): Promise<JobRow[]> {
  await lockRun(k, deps, runId);
  const runs = new RunGateway(k, deps.dialect);
  const run = await runs.get(runId);
  if (!run) return [];
  const disabled = await k('action_disabled_workflow').where({ repo_id: run.repo_id, workflow_id: run.workflow_id }).first('workflow_id');
  if (disabled) throw new FailedPrecondition(`workflow ${run.workflow_id} is disabled`);
  const jobs = new JobGateway(k, deps.dialect);
  const all = await jobs.ofRun(runId);
  let selected: Array<{ job: JobRow; block: boolean }>;
  if (mode.kind === 'run') selected = all.map((j) => ({ job: j, block: j.needs.length > 0 }));
  else if (mode.kind === 'failed') {
    const failedKeys = all.filter((j) => j.status === Status.failure || j.status === Status.cancelled).map((j) => j.job_id);
    const set = new Map<number, JobRow>();
    for (const f of all.filter((j) => failedKeys.includes(j.job_id))) for (const j of jobsToRerun(f, all)) set.set(j.id, j);
    selected = [...set.values()].map((j) => ({ job: j, block: !failedKeys.includes(j.job_id) && j.needs.length > 0 }));
  } else {
    const target = all.find((j) => j.id === mode.jobId);
    if (!target) return [];
    selected = jobsToRerun(target, all).map((j) => ({ job: j, block: j.job_id !== target.job_id }));
  }
  const now = nowMs(deps);
  if (isDone(run.status)) {
    const duration = run.started ? Math.max(0, run.stopped - run.started) : 0;
    await runs.update(runId, { previous_duration: run.previous_duration + duration, started: 0, stopped: 0, updated: now });
  }
  const rerunJobs: JobRow[] = [];
  let woke = false;
  for (const { job, block } of selected) {
    if (!isDone(job.status)) continue;
    const status = block ? Status.blocked : Status.waiting;
    const n = await jobs.update(job.id, { task_id: 0, status, started: 0, stopped: 0, updated: now }, { status: job.status });
    if (n !== 1) continue;
    woke ||= status === Status.waiting;
    rerunJobs.push({ ...job, status, task_id: 0 });
    outbox.add({ type: 'job', payload: { id: job.id, run_id: runId, status: statusName(status) } });
  }
  if (woke) await bumpTasksVersion(k, deps.dialect, run.owner_id, run.repo_id, now);
  await runs.update(runId, { done_notified: false });
  await jobsChanged(k, deps, outbox, runId);
  return rerunJobs;
}
