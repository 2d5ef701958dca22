// Reconciliation: the emitter settles runs inside the transaction that
// changes a job, so a consistent database never needs this pass. It exists for
// the database that is not: rows written by an older version, a crash between
// two transactions of a multi-step operation, a manual edit. It finds jobs the
// emitter should have moved and hands their runs to the emitter again, and
// writes the commit statuses of recently finished runs that the host did not
// get (a failed call, or a crash before the after-commit write).
import type { Deps } from './deps.js';
import { jobsChanged, lockRun, resolveBlockedJobs } from './emitter.js';
import { aggregateStatus, doneStatuses, isDone, pendingStatuses, Status } from './status.js';
import { changeRun } from './run-change.js';
import { nowMs } from './deps.js';
import { writeCommitStatuses } from './commit-status.js';
import { toRun } from '../models/runs.js';
import { JobGateway, toJob, type JobRow } from '../models/jobs.js';
import { always, walkPages, type KeepGoing } from './paging.js';

const PAGE = 200;

export interface ReconcileResult {
  /** jobs that took their finished task's status */
  jobs: number;
  /** runs handed to the emitter */
  runs: number;
  /** recently finished runs whose commit statuses were checked again */
  statusRuns: number;
}

/** how far back finished runs get their commit statuses checked again */
export const COMMIT_STATUS_RECHECK = 60 * 60 * 1000;

export async function reconcile(deps: Deps, keepGoing: KeepGoing = always): Promise<ReconcileResult> {
  const jobs = await finishJobsOfDoneTasks(deps, keepGoing);
  const runs = await settleRuns(deps, keepGoing);
  const statusRuns = await rewriteCommitStatuses(deps, keepGoing);
  return { jobs, runs, statusRuns };
}

/** a job still waiting or running whose current task is done takes the task's result (a lost final UpdateTask write) */
function finishJobsOfDoneTasks(deps: Deps, keepGoing: KeepGoing): Promise<number> {
  return walkPages({
    size: PAGE,
    keepGoing,
    read: (afterId, limit) =>
      deps
        .knex('action_run_job as j')
        .join('action_task as t', 't.id', 'j.task_id')
        .whereIn('j.status', [Status.waiting, Status.running])
        .andWhere('j.task_id', '>', 0)
        .whereIn('t.status', doneStatuses)
        .andWhere('j.id', '>', afterId)
        .orderBy('j.id')
        .limit(limit)
        .select('j.id', 'j.run_id') as Promise<Array<{ id: number; run_id: number }>>,
    visit: (r) =>
      changeRun(deps, r.run_id, async (trx, outbox) => {
        await lockRun(trx, deps, r.run_id);
        const job = await new JobGateway(trx, deps.dialect).get(r.id);
        if (!job || isDone(job.status) || job.task_id <= 0) return false;
        const task = (await trx('action_task').where({ id: job.task_id }).first('status', 'stopped', 'updated')) as { status: number; stopped: number; updated: number } | undefined;
        if (!task || !isDone(task.status)) return false;
        const n = await new JobGateway(trx, deps.dialect).update(job.id, { status: task.status, stopped: Number(task.stopped) || Number(task.updated), updated: Number(task.updated) }, { status: job.status, task_id: job.task_id });
        if (n !== 1) return false;
        await jobsChanged(trx, deps, outbox, r.run_id);
        return true;
      }),
    failed: (r, e) => deps.logger.error({ err: e, job: r.id }, 'reconcile: could not finish job'),
  });
}

/** does the emitter have work left in this run: blocked jobs it can resolve, or a run status that is not its jobs' aggregate */
export function runNeedsSettling(runStatus: number, jobs: JobRow[]): boolean {
  if (jobs.length === 0) return false;
  return resolveBlockedJobs(jobs).size > 0 || aggregateStatus(jobs.map((j) => j.status)) !== runStatus;
}

function settleRuns(deps: Deps, keepGoing: KeepGoing): Promise<number> {
  return walkPages({
    size: PAGE,
    keepGoing,
    // a page of pending runs with all their jobs, read in two queries
    read: async (afterId, limit) => {
      const runs = (await deps.knex('action_run').whereIn('status', pendingStatuses).andWhere('id', '>', afterId).orderBy('id').limit(limit).select('id', 'status')) as Array<{ id: number; status: number }>;
      if (runs.length === 0) return [];
      const jobRows = (await deps.knex('action_run_job').whereIn('run_id', runs.map((r) => r.id)).orderBy('id')) as Record<string, unknown>[];
      const byRun = new Map<number, JobRow[]>();
      for (const row of jobRows) {
        const j = toJob(row)!;
        byRun.set(j.run_id, [...(byRun.get(j.run_id) ?? []), j]);
      }
      return runs.map((r) => ({ ...r, jobs: byRun.get(r.id) ?? [] }));
    },
    visit: async (run) => {
      if (!runNeedsSettling(run.status, run.jobs)) return false;
      await changeRun(deps, run.id, async (trx, outbox) => {
        await lockRun(trx, deps, run.id);
        await jobsChanged(trx, deps, outbox, run.id);
      });
      return true;
    },
    failed: (run, e) => deps.logger.error({ err: e, run: run.id }, 'reconcile: could not settle run'),
  });
}

/** finished runs of the last hour: a status the host has not got is written again (the others are no-ops) */
function rewriteCommitStatuses(deps: Deps, keepGoing: KeepGoing): Promise<number> {
  if (!deps.host.createCommitStatus) return Promise.resolve(0);
  const since = nowMs(deps) - COMMIT_STATUS_RECHECK;
  return walkPages({
    size: PAGE,
    keepGoing,
    read: async (afterId, limit) =>
      (await deps.knex('action_run').whereIn('status', doneStatuses).andWhere('updated', '>=', since).andWhere('id', '>', afterId).orderBy('id').limit(limit)).map((r: Record<string, unknown>) => toRun(r)!),
    visit: async (run) => {
      await writeCommitStatuses(deps, [run]);
      return true;
    },
    failed: (run, e) => deps.logger.error({ err: e, run: run.id }, 'reconcile: could not write commit statuses'),
  });
}
