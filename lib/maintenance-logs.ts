// Log maintenance (spec job-lifecycle §9.4, §9.5): finished tasks whose log
// is still in database rows a day after their last update get archived (an
// archival that a crash interrupted), and logs older than the retention are
// removed and the task marked expired.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { archiveFinishedTaskLog, removeArchive } from './logs/index.js';
import { doneStatuses } from './status.js';
import { TaskGateway } from '../models/tasks.js';
import { LogRowGateway } from '../models/log-rows.js';
import { always, walkPages, type KeepGoing } from './paging.js';

const DAY = 86_400_000;
/** the delay keeps the transfer from racing a task's last in-flight writes */
export const LINGERING_AFTER = DAY;
/** per pass, as Forgejo; the next pass resumes */
export const LINGERING_MAX = 3000;
const PAGE = 100;

export function transferLingeringLogs(deps: Deps, keepGoing: KeepGoing = always, max = LINGERING_MAX): Promise<number> {
  const cutoff = nowMs(deps) - LINGERING_AFTER;
  return walkPages({
    size: PAGE,
    max,
    keepGoing,
    read: (afterId, limit) =>
      deps
        .knex('action_task')
        .whereIn('status', doneStatuses)
        .andWhere({ log_in_storage: false, log_expired: false })
        .andWhere('updated', '<', cutoff)
        .andWhere('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .select('id', 'log_filename', 'log_length') as Promise<Array<{ id: number; log_filename: string; log_length: number }>>,
    // the page row is what the archival needs; it reads the task again only if the first attempt stands back
    visit: (t) => archiveFinishedTaskLog(deps, { ...t, log_length: Number(t.log_length), log_in_storage: false }),
    failed: ({ id }, e) => deps.logger.error({ err: e, task: id }, 'could not transfer lingering log'),
  });
}

/** removes logs of tasks stopped more than `logRetentionDays` ago (values <= 0 mean 365, as Forgejo) */
export function removeExpiredLogs(deps: Deps, keepGoing: KeepGoing = always): Promise<number> {
  const days = deps.config.logRetentionDays > 0 ? deps.config.logRetentionDays : 365;
  const cutoff = nowMs(deps) - days * DAY;
  return walkPages({
    size: PAGE,
    keepGoing,
    read: (afterId, limit) =>
      deps
        .knex('action_task')
        .where('id', '>', afterId)
        .andWhere('stopped', '>', 0)
        .andWhere('stopped', '<', cutoff)
        .andWhere({ log_expired: false })
        .orderBy('id')
        .limit(limit)
        .select('id', 'log_filename') as Promise<Array<{ id: number; log_filename: string }>>,
    visit: async (t) => {
      // the file goes first: if marking fails, the next pass removes nothing and marks again
      if (t.log_filename) await removeArchive(deps.config.logDir, t.log_filename);
      await deps.knex.transaction(async (trx) => {
        await new LogRowGateway(trx, deps.dialect).deleteOfTask(t.id);
        await new TaskGateway(trx, deps.dialect).update(t.id, { log_expired: true });
      });
      return true;
    },
    failed: (t, e) => deps.logger.error({ err: e, task: t.id }, 'could not remove expired log'),
  });
}
