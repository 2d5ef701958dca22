// Moves a finished task's log rows from the database to the archive, after
// the transaction that finished the task: the file is written without holding
// a transaction (on SQLite that would be the only connection), then one
// conditional write marks the task archived and deletes its rows. If that
// does not happen (a crash, an error), the rows stay, readers serve them, and
// the lingering-log pass archives them later.
import type { Deps } from '../deps.js';
import type { Outbox } from '../outbox.js';
import { LogRowGateway, type LogRowRow } from '../../models/log-rows.js';
import { TaskGateway, type TaskRow } from '../../models/tasks.js';
import { nativeRows } from '../../models/native.js';
import { writeArchive, writeArchiveStream } from './archive.js';

type ArchivableTask = Pick<TaskRow, 'id' | 'log_filename' | 'log_length' | 'log_in_storage'>;

/** a batch of rows in flight, or a second archiver, can make an attempt stand back; then the task is read again */
const ATTEMPTS = 3;

/** archives the log of `task` (just finished in the outbox's transaction) once that transaction commits */
export function archiveAfterCommit(deps: Deps, outbox: Outbox, task: ArchivableTask): void {
  outbox.after(async () => {
    await archiveFinishedTaskLog(deps, task);
  });
}

/**
 * Archives a finished task's log; `task` is the row as last read (it saves a
 * read on the first attempt). Safe against a second archiver and against rows
 * that arrive meanwhile: the move is recorded only if the task still has
 * exactly the rows that were written to the file. Never throws: a failure is
 * logged and left to the lingering-log pass.
 */
export async function archiveFinishedTaskLog(deps: Deps, task: ArchivableTask): Promise<boolean> {
  try {
    let current: ArchivableTask | undefined = task;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) current = await new TaskGateway(deps.knex, deps.dialect).get(task.id);
      if (!current || current.log_in_storage) return false;
      if (await moveRows(deps, current)) return true;
    }
    return false;
  } catch (e) {
    deps.logger.warn({ err: e, task: task.id }, 'could not archive the log of a finished task; the lingering-log pass will');
    return false;
  }
}

/** rows read per query: a log longer than this is written as a stream, in bounded memory */
const PAGE = 5_000;

async function* rowPages(gateway: LogRowGateway, taskId: number, first: LogRowRow[]): AsyncIterable<LogRowRow[]> {
  let page = first;
  let read = 0;
  while (page.length > 0) {
    yield page;
    read += page.length;
    if (page.length < PAGE) return;
    page = await gateway.range(taskId, read, read + PAGE);
  }
}

async function moveRows(deps: Deps, task: ArchivableTask): Promise<boolean> {
  const gateway = new LogRowGateway(deps.knex, deps.dialect);
  const first = await gateway.range(task.id, 0, PAGE);
  let size: number;
  let lines: number;
  if (first.length < PAGE) {
    lines = first.length;
    // not the rows the task counts: a batch is being stored, or another archiver has just moved them
    if (lines !== task.log_length) return false;
    size = await writeArchive(deps.config.logDir, task.log_filename, first);
  } else {
    ({ bytes: size, lines } = await writeArchiveStream(deps.config.logDir, task.log_filename, rowPages(gateway, task.id, first)));
    // the file is not read before the task is marked archived, and the next attempt replaces it
    if (lines !== task.log_length) return false;
  }
  if (deps.dialect === 'pg') {
    // one statement (atomic by itself): the conditional update, and the rows deleted only if it matched
    const [row] = await nativeRows<{ n: number }>(
      deps.knex,
      deps.dialect,
      'with moved as (update action_task set log_in_storage = ?, log_size = ? where id = ? and log_in_storage = ? and log_length = ? returning id),' +
        ' gone as (delete from action_log_row where task_id in (select id from moved) returning 1)' +
        ' select count(*) as n from moved',
      [true, size, task.id, false, lines],
    );
    return Number(row?.n) === 1;
  }
  // SQLite has no update inside WITH: the same two writes in a transaction
  return deps.knex.transaction(async (trx) => {
    const moved = await new TaskGateway(trx, deps.dialect).update(task.id, { log_in_storage: true, log_size: size }, { log_in_storage: false, log_length: lines });
    if (moved === 1) await new LogRowGateway(trx, deps.dialect).deleteOfTask(task.id);
    return moved === 1;
  });
}
