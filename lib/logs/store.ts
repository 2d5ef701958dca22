// Moves a finished task's log rows from the database to the archive, inside
// the caller's transaction: the archive is written first, then the task is
// marked archived and its rows deleted. If the transaction rolls back, the
// rows are still there and a later archival rewrites the same file.
import type { Deps } from '../deps.js';
import type { Executor } from '../../models/base.js';
import { LogRowGateway } from '../../models/log-rows.js';
import { TaskGateway, type TaskRow } from '../../models/tasks.js';
import { writeArchive } from './archive.js';

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
