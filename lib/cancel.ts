// Ending jobs from the server side: a user's cancel, a superseded run, a
// failed pre-execution check. Jobs without a task end at once; jobs with a task
// stop it (the runner is told on its next UpdateTask). The emitter then settles
// dependents in the same transaction instead of leaving them blocked for a day.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import { RunGateway } from '../models/runs.js';
import { TaskGateway } from '../models/tasks.js';
import type { Outbox } from './outbox.js';
import { isDone, Status, statusName } from './status.js';
import { stopTask } from './stop-task.js';
import { jobsChanged, lockRun } from './emitter.js';

/** Ends one job with `status` (cancelled or failure). Returns false when it was already done. */
export async function endJob(k: Executor, deps: Deps, outbox: Outbox, job: JobRow, status: number): Promise<boolean> {
  if (isDone(job.status)) return false;
  if (job.task_id > 0) {
    const task = await new TaskGateway(k, deps.dialect).get(job.task_id);
    if (task && !isDone(task.status)) return (await stopTask(k, deps, outbox, task, status)) !== null;
  }
  const now = nowMs(deps);
  const n = await new JobGateway(k, deps.dialect).update(job.id, { status, stopped: now, updated: now }, { status: job.status });
  if (n === 1) outbox.add({ type: 'job', payload: { id: job.id, run_id: job.run_id, status: statusName(status) } });
  return n === 1;
}

/** Ends every job of the run that is not done, then settles the run. */
export async function killRun(k: Executor, deps: Deps, outbox: Outbox, runId: number, status: number): Promise<void> {
  // the run's row lock, taken with the read of the row
  const run = await new RunGateway(k, deps.dialect).get(runId, { lock: true });
  const jobs = await new JobGateway(k, deps.dialect).ofRun(runId);
  for (const job of jobs) await endJob(k, deps, outbox, job, status);
  if (run?.need_approval) await new RunGateway(k, deps.dialect).update(runId, { need_approval: false, approved_by: 0 });
  await jobsChanged(k, deps, outbox, runId);
}

/** Cancels a run the way a user does: every job that is not done ends as cancelled. */
export async function cancelRun(k: Executor, deps: Deps, outbox: Outbox, runId: number): Promise<void> {
  await killRun(k, deps, outbox, runId, Status.cancelled);
}

/** Cancels one job; its dependents are settled at once (skipped, or run when their `if` asks to). */
export async function cancelJob(k: Executor, deps: Deps, outbox: Outbox, job: JobRow): Promise<void> {
  await lockRun(k, deps, job.run_id);
  const fresh = await new JobGateway(k, deps.dialect).get(job.id);
  if (fresh) await endJob(k, deps, outbox, fresh, Status.cancelled);
  await jobsChanged(k, deps, outbox, job.run_id);
}
