// Timeouts (spec job-lifecycle §3.3): zombie tasks (no update for the zombie
// timeout), endless tasks (started longer ago than the endless timeout) and
// abandoned jobs (waiting or blocked, untouched for the abandoned timeout, in
// runs not waiting for approval). Each item is ended in its own transaction,
// run row locked first, with the emitter settling its dependents before the
// commit; a stopped task's log is archived in the same transaction.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { jobsChanged, lockRun } from './emitter.js';
import { stopTask } from './stop-task.js';
import { endJob } from './cancel.js';
import { Status } from './status.js';
import { changeRun } from './run-change.js';
import { always, walkPages, type KeepGoing } from './paging.js';
import { TaskGateway, type TaskRow } from '../models/tasks.js';
import { JobGateway } from '../models/jobs.js';

const PAGE = 100;

/** running tasks without an UpdateTask heartbeat for `timeouts.zombie` end as failure */
export function stopZombieTasks(deps: Deps, keepGoing: KeepGoing = always): Promise<number> {
  const cutoff = nowMs(deps) - deps.config.timeouts.zombie;
  return stopStaleTasks(deps, 'updated', cutoff, keepGoing);
}

/** running tasks started more than `timeouts.endless` ago end as failure */
export function stopEndlessTasks(deps: Deps, keepGoing: KeepGoing = always): Promise<number> {
  const cutoff = nowMs(deps) - deps.config.timeouts.endless;
  return stopStaleTasks(deps, 'started', cutoff, keepGoing);
}

function stopStaleTasks(deps: Deps, column: 'updated' | 'started', cutoff: number, keepGoing: KeepGoing): Promise<number> {
  return walkPages({
    size: PAGE,
    keepGoing,
    read: (afterId, limit) =>
      deps
        .knex('action_task as t')
        .join('action_run_job as j', 'j.id', 't.job_id')
        .where('t.status', Status.running)
        .andWhere(`t.${column}`, '<', cutoff)
        .andWhere('t.id', '>', afterId)
        .orderBy('t.id')
        .limit(limit)
        .select('t.id', 'j.run_id') as Promise<Array<{ id: number; run_id: number }>>,
    visit: (t) => stopStaleTask(deps, t.id, t.run_id, (task) => task[column] < cutoff),
    // logged and skipped, as Forgejo does: the next pass tries again
    failed: (t, e) => deps.logger.error({ err: e, task: t.id }, `could not stop ${column === 'updated' ? 'zombie' : 'endless'} task`),
  });
}

async function stopStaleTask(deps: Deps, taskId: number, runId: number, stale: (t: TaskRow) => boolean): Promise<boolean> {
  return changeRun(deps, runId, async (trx, outbox) => {
    await lockRun(trx, deps, runId);
    const tasks = new TaskGateway(trx, deps.dialect);
    const task = await tasks.get(taskId, { lock: true });
    // re-checked under the lock: a heartbeat or a result may have arrived since the scan
    if (!task || task.status !== Status.running || !stale(task)) return false;
    if (!(await stopTask(trx, deps, outbox, task, Status.failure))) return false;
    await jobsChanged(trx, deps, outbox, runId);
    return true;
  });
}

/** waiting or blocked jobs untouched for `timeouts.abandoned` are cancelled, except in runs waiting for approval */
export function cancelAbandonedJobs(deps: Deps, keepGoing: KeepGoing = always): Promise<number> {
  const cutoff = nowMs(deps) - deps.config.timeouts.abandoned;
  const pendingStatuses = [Status.waiting, Status.blocked];
  return walkPages({
    size: PAGE,
    keepGoing,
    read: (afterId, limit) =>
      deps
        .knex('action_run_job as j')
        .join('action_run as r', 'r.id', 'j.run_id')
        .whereIn('j.status', pendingStatuses)
        .andWhere('j.updated', '<', cutoff)
        .andWhere('r.need_approval', false)
        .andWhere('j.id', '>', afterId)
        .orderBy('j.id')
        .limit(limit)
        .select('j.id', 'j.run_id') as Promise<Array<{ id: number; run_id: number }>>,
    visit: (j) =>
      changeRun(deps, j.run_id, async (trx, outbox) => {
        await lockRun(trx, deps, j.run_id);
        const run = (await trx('action_run').where({ id: j.run_id }).first('need_approval')) as { need_approval: unknown } | undefined;
        const job = await new JobGateway(trx, deps.dialect).get(j.id);
        if (!run || Number(run.need_approval) || !job || !pendingStatuses.includes(job.status as 5 | 7) || job.updated >= cutoff) return false;
        if (!(await endJob(trx, deps, outbox, job, Status.cancelled))) return false;
        await jobsChanged(trx, deps, outbox, j.run_id);
        return true;
      }),
    failed: (j, e) => deps.logger.error({ err: e, job: j.id }, 'could not cancel abandoned job'),
  });
}
