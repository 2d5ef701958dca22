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
import type { KeepGoing } from './maintenance-timeouts.js';

const DAY = 86_400_000;
/** the delay keeps the transfer from racing a task's last in-flight writes */
export const LINGERING_AFTER = DAY;
/** per pass, as Forgejo; the next pass resumes */
export const LINGERING_MAX = 3000;
const PAGE = 100;

export async function transferLingeringLogs(deps: Deps, keepGoing: KeepGoing = async () => true, max = LINGERING_MAX): Promise<number> {
  const cutoff = nowMs(deps) - LINGERING_AFTER;
  let moved = 0;
  let afterId = 0;
  while (moved < max) {
    const page = (await deps.knex('action_task')
      .whereIn('status', doneStatuses)
      .andWhere({ log_in_storage: false, log_expired: false })
      .andWhere('updated', '<', cutoff)
      .andWhere('id', '>', afterId)
      .orderBy('id')
      .limit(Math.min(PAGE, max - moved))
      .select('id')) as Array<{ id: number }>;
    for (const { id } of page) {
      afterId = id;
      try {
        const task = await new TaskGateway(deps.knex, deps.dialect).get(id);
        if (task && !task.log_expired && (await archiveFinishedTaskLog(deps, task))) moved++;
      } catch (e) {
        deps.logger.error({ err: e, task: id }, 'could not transfer lingering log');
      }
    }
    if (page.length < PAGE || !(await keepGoing())) break;
  }
  return moved;
}

/** removes logs of tasks stopped more than `logRetentionDays` ago (values <= 0 mean 365, as Forgejo) */
export async function removeExpiredLogs(deps: Deps, keepGoing: KeepGoing = async () => true): Promise<number> {
  const days = deps.config.logRetentionDays > 0 ? deps.config.logRetentionDays : 365;
  const cutoff = nowMs(deps) - days * DAY;
  let removed = 0;
  let afterId = 0;
  for (;;) {
    const page = (await deps.knex('action_task')
      .where('id', '>', afterId)
      .andWhere('stopped', '>', 0)
      .andWhere('stopped', '<', cutoff)
      .andWhere({ log_expired: false })
      .orderBy('id')
      .limit(PAGE)
      .select('id', 'log_filename', 'log_in_storage')) as Array<{ id: number; log_filename: string; log_in_storage: unknown }>;
    for (const t of page) {
      afterId = t.id;
      try {
        // the file goes first: if marking fails, the next pass removes nothing and marks again
        if (t.log_filename) await removeArchive(deps.config.logDir, t.log_filename);
        await deps.knex.transaction(async (trx) => {
          await new LogRowGateway(trx, deps.dialect).deleteOfTask(t.id);
          await new TaskGateway(trx, deps.dialect).update(t.id, { log_expired: true });
        });
        removed++;
      } catch (e) {
        deps.logger.error({ err: e, task: t.id }, 'could not remove expired log');
      }
    }
    if (page.length < PAGE || !(await keepGoing())) return removed;
  }
}
