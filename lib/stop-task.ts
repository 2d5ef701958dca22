// Server-initiated stop of a running task (user cancel, concurrency cancel,
// zombie and endless timeouts, a runner reporting on a job that moved on).
// In the caller's transaction: the task, its job (while the job still points
// at it) and its unfinished steps take the final status, and an ephemeral
// runner is deleted; the log is archived once the transaction commits (so
// later rows are refused). The runner learns it from its next UpdateTask.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { TaskGateway, type TaskRow } from '../models/tasks.js';
import { TaskStepGateway } from '../models/task-steps.js';
import { RunnerGateway, type RunnerRow } from '../models/runners.js';
import { doneStatuses, isDone, statusName } from './status.js';
import { archiveAfterCommit } from './logs/store.js';
import type { Outbox } from './outbox.js';

/**
 * Ends `task` (a row or an id) with a done `status`; a task already done is
 * returned unchanged. `runner` is the task's runner when the caller has its
 * row already (an UpdateTask's authenticated runner).
 */
export async function stopTask(
  k: Executor,
  deps: Deps,
  outbox: Outbox,
  taskOrId: TaskRow | number,
  status: number,
  runner?: RunnerRow,
): Promise<TaskRow | null> {
  if (!isDone(status)) throw new Error(`stopTask: ${statusName(status)} is not a final status`);
  const tasks = new TaskGateway(k, deps.dialect);
  const task = typeof taskOrId === 'number' ? await tasks.get(taskOrId) : taskOrId;
  if (!task) return null;
  if (isDone(task.status)) return task;
  const now = nowMs(deps);
  await tasks.update(task.id, { status, stopped: now, updated: now });
  // a job that was re-run (or already ended) keeps its own state
  const jobChanged = await k('action_run_job')
    .where({ id: task.job_id, task_id: task.id })
    .whereNotIn('status', doneStatuses)
    .update({ status, stopped: now, updated: now });
  const steps = new TaskStepGateway(k, deps.dialect);
  for (const step of await steps.ofTask(task.id)) {
    if (isDone(step.status)) continue;
    await steps.update(step.id, { status, started: step.started || now, stopped: now });
  }
  const stopped: TaskRow = { ...task, status, stopped: now, updated: now };
  archiveAfterCommit(deps, outbox, stopped);
  await deleteIfEphemeral(k, deps, runner?.id === task.runner_id ? runner : task.runner_id);
  outbox.add({ type: 'task', payload: { id: task.id, job_id: task.job_id, runner_id: task.runner_id, status: statusName(status) } });
  if (jobChanged) outbox.add({ type: 'job', payload: { id: task.job_id, status: statusName(status), task_id: task.id } });
  return stopped;
}

/**
 * An ephemeral runner is deleted once its task is over (spec §4.9). Given the
 * runner's row, nothing is read: `ephemeral` never changes after registration.
 */
export async function deleteIfEphemeral(k: Executor, deps: Deps, runnerOrId: RunnerRow | number): Promise<void> {
  if (!runnerOrId) return;
  const runners = new RunnerGateway(k, deps.dialect);
  const runner = typeof runnerOrId === 'number' ? await runners.get(runnerOrId) : runnerOrId;
  if (runner?.ephemeral) await runners.softDelete(runner.id, nowMs(deps));
}
