// UpdateLog (spec §6.1): appends the rows of a running task. `index` is the
// absolute number of the first row; rows already stored are skipped and a gap
// is not written, so retried and overlapping batches never duplicate a line.
// The ack is the number of rows stored, which the runner trims its buffer to.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import { ActionsError, AlreadyExists, InvalidArgument } from '../errors.js';
import { TaskGateway } from '../../models/tasks.js';
import { LogRowGateway } from '../../models/log-rows.js';
import type { RunnerRow } from '../../models/runners.js';
import { capContent, formattedLineBytes } from '../logs/format.js';
import { checkNonNegative, checkTime } from './validate.js';

/** rows written per call; the ack tells the runner where to resume, so a long backlog drains over a few calls */
export const MAX_ROWS_PER_CALL = 5_000;
/** more rows than this in one request is not a backlog but bad input */
export const MAX_ROWS_PER_REQUEST = 100_000;

export interface LogRowInput {
  /** unix ms; undefined when unset */
  time?: number;
  content: string;
}

export interface UpdateLogInput {
  taskId: number;
  index: number;
  rows: LogRowInput[];
}

export async function updateLog(deps: Deps, runner: RunnerRow, input: UpdateLogInput): Promise<{ ackIndex: number }> {
  checkNonNegative(input.taskId, 'task_id');
  checkNonNegative(input.index, 'index');
  if (input.rows.length > MAX_ROWS_PER_REQUEST) {
    throw new InvalidArgument(`rows: ${input.rows.length} in one request, at most ${MAX_ROWS_PER_REQUEST}`, { field: 'rows' });
  }
  for (const r of input.rows) checkTime(r.time, 'rows.time');
  return deps.knex.transaction(async (trx) => {
    const tasks = new TaskGateway(trx, deps.dialect);
    // the row lock orders concurrent batches of one task across instances
    const task = await tasks.get(input.taskId, { lock: true });
    if (!task) throw new ActionsError('internal', `get task: task with id ${input.taskId}: resource does not exist`);
    if (task.runner_id !== runner.id) throw new ActionsError('internal', 'invalid runner for task');
    const ack = task.log_length;
    const end = input.index + input.rows.length;
    if (input.rows.length === 0 || input.index > ack || end <= ack) return { ackIndex: ack };
    if (task.log_in_storage) throw new AlreadyExists('log file has been archived');
    const now = nowMs(deps);
    const fresh = input.rows.slice(ack - input.index, ack - input.index + MAX_ROWS_PER_CALL).map((r, i) => ({
      index: ack + i,
      time: r.time ?? now,
      content: capContent(r.content),
    }));
    await new LogRowGateway(trx, deps.dialect).insert(task.id, fresh);
    // the archived line's size, counted without formatting the line (the archive formats it once)
    const size = fresh.reduce((n, r) => n + formattedLineBytes(r.time, r.content), 0);
    const length = ack + fresh.length;
    await tasks.update(task.id, { log_length: length, log_size: task.log_size + size, updated: now });
    return { ackIndex: length };
  });
}
