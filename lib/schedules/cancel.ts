// Cancels a repository's pending scheduled runs (Forgejo's CancelPreviousJobs
// for schedule runs): when the repository is archived or disabled, or when the
// default branch they were scheduled on is no longer the default.
import type { Deps } from '../deps.js';
import { changeRun } from '../run-change.js';
import { killRun } from '../cancel.js';
import { Status } from '../status.js';

/** `ref` = the old default branch's short name, or null for every scheduled run of the repository */
export async function cancelScheduledRuns(deps: Deps, repoId: number, ref: string | null): Promise<void> {
  const q = deps.knex('action_run').where({ repo_id: repoId }).andWhere('schedule_id', '>', 0).whereIn('status', [Status.waiting, Status.running, Status.blocked]);
  if (ref !== null) q.andWhere({ ref });
  const runs = (await q.select('id')) as Array<{ id: number }>;
  for (const { id } of runs) {
    // one transaction per run: a failure leaves the others cancelled
    try {
      await changeRun(deps, id, (trx, outbox) => killRun(trx, deps, outbox, id, Status.cancelled));
    } catch (e) {
      deps.logger.error({ err: e, run: id }, 'could not cancel scheduled run');
    }
  }
}
