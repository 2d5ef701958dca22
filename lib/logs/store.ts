// Moves a finished task's log rows from the database to the archive: the
// archive is written first, then the task is marked archived and its rows
// deleted. If that does not happen (a rollback, a crash), the rows are still
// there and a later archival rewrites the same file.
import type { Deps } from '../deps.js';
import type { Executor } from '../../models/base.js';
import { LogRowGateway } from '../../models/log-rows.js';
import { TaskGateway, type TaskRow } from '../../models/tasks.js';
import { writeArchive } from './archive.js';
import { nativeRows } from '../../models/native.js';

export async function archiveTaskLog(k: Executor, deps: Deps, task: TaskRow): Promise<void> {
  if (task.log_in_storage) return;
  await new TaskGateway(k, deps.dialect).update(task.id, await archiveTaskLogFields(k, deps, task));
}

export type ArchivedLogFields = Pick<TaskRow, 'log_in_storage' | 'log_size' | 'log_length'>;

/**
 * archiveTaskLog for a caller that writes the task row anyway: writes the
 * archive and deletes the rows, and returns the task fields to set in the
 * caller's own update of the row (in the same transaction).
 */
export async function archiveTaskLogFields(k: Executor, deps: Deps, task: TaskRow): Promise<ArchivedLogFields> {
  const logRows = new LogRowGateway(k, deps.dialect);
  const rows = await logRows.range(task.id);
  const size = await writeArchive(deps.config.logDir, task.log_filename, rows);
  await logRows.deleteOfTask(task.id);
  return { log_in_storage: true, log_size: size, log_length: rows.length };
}

/**
 * Archives the log of a task that has just finished, after the transaction
 * that finished it: the file is written without holding a transaction (on
 * SQLite that would be the only connection), and a conditional update makes
 * the move safe against a second archiver or a late batch of rows. When the
 * log changed meanwhile, or anything fails, the rows stay and the
 * lingering-log pass archives them later; readers serve rows until then.
 */
export async function archiveFinishedTaskLog(deps: Deps, task: Pick<TaskRow, 'id' | 'log_filename' | 'log_length'>): Promise<boolean> {
  try {
    const logRows = new LogRowGateway(deps.knex, deps.dialect);
    const rows = await logRows.range(task.id);
    // fewer rows than the task counts: another archiver moved them already (and wrote the file)
    if (rows.length !== task.log_length) return false;
    const size = await writeArchive(deps.config.logDir, task.log_filename, rows);
    // a batch of rows that came in after the read above leaves the task as it is
    const set = { log_in_storage: true, log_size: size };
    const where = { log_in_storage: false, log_length: rows.length };
    if (deps.dialect === 'pg') {
      // one statement (atomic by itself): the conditional update, and the rows deleted only if it matched
      const [row] = await nativeRows<{ n: number }>(
        deps.knex,
        deps.dialect,
        'with moved as (update action_task set log_in_storage = ?, log_size = ? where id = ? and log_in_storage = ? and log_length = ? returning id),' +
          ' gone as (delete from action_log_row where task_id in (select id from moved) returning 1)' +
          ' select count(*) as n from moved',
        [set.log_in_storage, set.log_size, task.id, where.log_in_storage, where.log_length],
      );
      return Number(row?.n) === 1;
    }
    // SQLite has no update inside WITH: the same two writes in a transaction
    return await deps.knex.transaction(async (trx) => {
      const moved = await new TaskGateway(trx, deps.dialect).update(task.id, set, where);
      if (moved === 1) await new LogRowGateway(trx, deps.dialect).deleteOfTask(task.id);
      return moved === 1;
    });
  } catch (e) {
    deps.logger.warn({ err: e, task: task.id }, 'could not archive the log of a finished task; the lingering-log pass will');
    return false;
  }
}
