// Stopping a running task from the server side (its job was cancelled, or a
// cleanup gave up on it): the task and its unfinished steps take the final
// status and the log is archived, so later rows are refused. Runs inside the
// caller's transaction. Also used when a runner reports on a task whose job
// has moved on without it.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import type { Executor } from '../../models/base.js';
import type { Outbox } from '../outbox.js';
import { isDone, statusName } from '../status.js';
import { TaskGateway, type TaskRow } from '../../models/tasks.js';
import { TaskStepGateway } from '../../models/task-steps.js';
import { RunnerGateway } from '../../models/runners.js';
import { archiveTaskLog } from '../logs/store.js';

/** marks the task (and its unfinished steps) `status`, archives its log, and deletes its runner if ephemeral; no-op when done */
export async function stopTask(k: Executor, deps: Deps, outbox: Outbox, task: TaskRow, status: number): Promise<TaskRow> {
  if (isDone(task.status)) return task;
  const now = nowMs(deps);
  await new TaskGateway(k, deps.dialect).update(task.id, { status, stopped: now, updated: now });
  const steps = new TaskStepGateway(k, deps.dialect);
  for (const step of await steps.ofTask(task.id)) {
    if (isDone(step.status)) continue;
    await steps.update(step.id, { status, started: step.started || now, stopped: now });
  }
  const stopped = { ...task, status, stopped: now, updated: now };
  await archiveTaskLog(k, deps, stopped);
  await deleteIfEphemeral(k, deps, task.runner_id);
  outbox.add({ type: 'task', payload: { id: task.id, job_id: task.job_id, runner_id: task.runner_id, status: statusName(status) } });
  return { ...stopped, log_in_storage: true };
}

/** an ephemeral runner is deleted once its task is over (spec §4.9) */
export async function deleteIfEphemeral(k: Executor, deps: Deps, runnerId: number): Promise<void> {
  const runners = new RunnerGateway(k, deps.dialect);
  const runner = await runners.get(runnerId);
  if (runner?.ephemeral) await runners.softDelete(runner.id, nowMs(deps));
}
