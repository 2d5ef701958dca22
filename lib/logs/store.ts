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
  const rows = await new LogRowGateway(k, deps.dialect).range(task.id);
  const size = await writeArchive(deps.config.logDir, task.log_filename, rows);
  await new TaskGateway(k, deps.dialect).update(task.id, { log_in_storage: true, log_size: size, log_length: rows.length });
  await new LogRowGateway(k, deps.dialect).deleteOfTask(task.id);
}
