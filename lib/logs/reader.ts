// Reads a task's log: from the database rows while the task runs, from the
// archive once it is finished. Whole, or one step (by the step's log_index and
// log_length as the runner reported them).
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import { LogRowGateway } from '../../models/log-rows.js';
import { TaskGateway } from '../../models/tasks.js';
import { TaskStepGateway } from '../../models/task-steps.js';
import { readArchive } from './archive.js';
import { formatLine, type LogLine } from './format.js';
import { streamArchive, type ArchiveRange } from './stream.js';
import type { Readable } from 'node:stream';

export type { LogLine } from './format.js';

export interface ReadLogOptions {
  /** the 0-based step index; without it the whole log */
  step?: number;
}

async function allLines(deps: Deps, taskId: number): Promise<LogLine[]> {
  const tasks = new TaskGateway(deps.knex, deps.dialect);
  const task = await tasks.get(taskId);
  if (!task) throw new NotFound(`task ${taskId} not found`);
  if (!task.log_in_storage) {
    const rows = await new LogRowGateway(deps.knex, deps.dialect).range(taskId);
    if (rows.length >= task.log_length) return rows;
    // archived between the two reads: the archive has them all
  }
  const again = task.log_in_storage ? task : await tasks.get(taskId);
  if (!again) throw new NotFound(`task ${taskId} not found`);
  return (await readArchive(deps.config.logDir, again.log_filename)) ?? [];
}

/** the log lines of a task (or of one of its steps), in order */
export async function readTaskLog(deps: Deps, taskId: number, opts: ReadLogOptions = {}): Promise<LogLine[]> {
  const lines = await allLines(deps, taskId);
  if (opts.step === undefined) return lines;
  const step = (await new TaskStepGateway(deps.knex, deps.dialect).ofTask(taskId)).find((s) => s.index === opts.step);
  if (!step) throw new NotFound(`task ${taskId} has no step ${opts.step}`);
  return lines.filter((l) => l.index >= step.log_index && l.index < step.log_index + step.log_length);
}

/** the same, as text in Forgejo's line format */
export async function readTaskLogText(deps: Deps, taskId: number, opts: ReadLogOptions = {}): Promise<string> {
  return (await readTaskLog(deps, taskId, opts)).map((l) => formatLine(l.time, l.content)).join('');
}

/** the log of a job's current task (the REST API reads logs by job) */
export async function readJobLog(deps: Deps, jobId: number, opts: ReadLogOptions = {}): Promise<LogLine[]> {
  const job = (await deps.knex('action_run_job').where({ id: jobId }).first('task_id')) as { task_id: number } | undefined;
  if (!job) throw new NotFound(`job ${jobId} not found`);
  if (job.task_id <= 0) return [];
  return readTaskLog(deps, job.task_id, opts);
}

/**
 * The archived log of a job's current task as a stream of Forgejo-format text,
 * in bounded memory whatever its size; null while the task still runs (its
 * rows are in the database) or when the job has no task.
 */
export async function openArchivedJobLog(deps: Deps, jobId: number, opts: ReadLogOptions = {}): Promise<Readable | null> {
  const job = (await deps.knex('action_run_job').where({ id: jobId }).first('task_id')) as { task_id: number } | undefined;
  if (!job) throw new NotFound(`job ${jobId} not found`);
  if (job.task_id <= 0) return null;
  const task = await new TaskGateway(deps.knex, deps.dialect).get(job.task_id);
  if (!task || !task.log_in_storage || task.log_expired) return null;
  let range: ArchiveRange = {};
  if (opts.step !== undefined) {
    const step = (await new TaskStepGateway(deps.knex, deps.dialect).ofTask(task.id)).find((s) => s.index === opts.step);
    if (!step) throw new NotFound(`task ${task.id} has no step ${opts.step}`);
    range = { fromLine: step.log_index, toLine: step.log_index + step.log_length };
  }
  return streamArchive(deps.config.logDir, task.log_filename, range);
}
