// Server-initiated stop of a running task (user cancel, concurrency cancel,
// zombie and endless timeouts). The task, its job and its unfinished steps end
// in the caller's transaction; the runner learns it from its next UpdateTask.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { bool } from '../models/base.js';
import { isDone, statusName } from './status.js';
import type { Outbox } from './outbox.js';

export interface StoppedTask {
  taskId: number;
  jobId: number;
  runnerId: number;
}

/** Ends task `taskId` with `status` (a done status). No-op for a task already done. */
export async function stopTask(k: Executor, deps: Deps, outbox: Outbox, taskId: number, status: number): Promise<StoppedTask | null> {
  if (!isDone(status)) throw new Error(`stopTask: ${statusName(status)} is not a final status`);
  const task = await k('action_task').where({ id: taskId }).first('id', 'job_id', 'runner_id', 'status');
  if (!task || isDone(task.status)) return null;
  const now = nowMs(deps);
  const changed = await k('action_task').where({ id: taskId }).whereNotIn('status', [1, 2, 3, 4]).update({ status, stopped: now, updated: now });
  if (changed !== 1) return null;
  await k('action_run_job').where({ id: task.job_id }).update({ status, stopped: now, updated: now });
  await k('action_task_step').where({ task_id: taskId }).whereNotIn('status', [1, 2, 3, 4]).update({
    status,
    started: k.raw('case when started = 0 then ? else started end', [now]),
    stopped: now,
  });
  if (task.runner_id) {
    const runner = await k('action_runner').where({ id: task.runner_id }).first('id', 'ephemeral', 'deleted');
    if (runner && bool(runner.ephemeral) && !Number(runner.deleted)) await softDeleteRunner(k, runner.id, now);
  }
  outbox.add({ type: 'task', payload: { id: taskId, job_id: task.job_id, status: statusName(status) } });
  outbox.add({ type: 'job', payload: { id: task.job_id, status: statusName(status) } });
  return { taskId, jobId: task.job_id, runnerId: task.runner_id };
}

/**
 * Deletes a runner softly, rewriting its uuid as Forgejo does so that the old
 * credentials stop working at once while the row stays for history.
 */
export async function softDeleteRunner(k: Executor, runnerId: number, now: number): Promise<void> {
  const id = Buffer.alloc(8);
  id.writeBigUInt64LE(BigInt(runnerId));
  const hex = id.toString('hex');
  const uuid = `ffffffff-ffff-ffff-${hex.slice(0, 4)}-${hex.slice(4)}`;
  await k('action_runner').where({ id: runnerId }).update({ uuid, deleted: now, updated: now });
}
