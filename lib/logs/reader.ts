// Reads a task's log: from the database rows while the task runs, from the
// archive once it is finished. Whole, or one step (by the step's log_index and
// log_length as the runner reported them), from a line on: a reader that
// follows a running log asks only for the lines it does not have yet.
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import { LogRowGateway } from '../../models/log-rows.js';
import { TaskGateway } from '../../models/tasks.js';
import { TaskStepGateway } from '../../models/task-steps.js';
import { isDone } from '../status.js';
import { formatLine, parseLine, type LogLine } from './format.js';
import { openArchive } from './stream.js';
import type { Readable } from 'node:stream';

export type { LogLine } from './format.js';

export interface ReadLogOptions {
  /** the 0-based step index; without it the whole log */
  step?: number;
  /** the number of lines (of the step, with `step`) to skip: a follower passes the count it already has */
  from?: number;
}

/** the requested lines: read from the database, or (once archived) a stream of Forgejo-format text starting at line `first` */
export type TaskLogPart = { lines: LogLine[] } | { archive: Readable; first: number };

/** the line range [from, to) of the task's log that `opts` asks for; no `to` is up to the end */
async function lineRange(deps: Deps, taskId: number, opts: ReadLogOptions): Promise<{ from: number; to?: number }> {
  const skip = Math.max(opts.from ?? 0, 0);
  if (opts.step === undefined) return { from: skip };
  const step = (await new TaskStepGateway(deps.knex, deps.dialect).ofTask(taskId)).find((s) => s.index === opts.step);
  if (!step) throw new NotFound(`task ${taskId} has no step ${opts.step}`);
  return { from: step.log_index + Math.min(skip, step.log_length), to: step.log_index + step.log_length };
}

/** the lines `opts` asks for, in order; only those are read, from the database or the archive */
export async function readTaskLogPart(deps: Deps, taskId: number, opts: ReadLogOptions = {}): Promise<TaskLogPart> {
  const tasks = new TaskGateway(deps.knex, deps.dialect);
  let task = await tasks.get(taskId);
  if (!task) throw new NotFound(`task ${taskId} not found`);
  const { from, to } = await lineRange(deps, taskId, opts);
  if (!task.log_in_storage && !task.log_expired) {
    const rows = await new LogRowGateway(deps.knex, deps.dialect).range(taskId, from, to);
    if (rows.length >= Math.min(to ?? task.log_length, task.log_length) - from) return { lines: rows };
    // fewer rows than the task counts: archived (or expired) between the two reads
    task = await tasks.get(taskId);
    if (!task) throw new NotFound(`task ${taskId} not found`);
    if (!task.log_in_storage) return { lines: rows };
  }
  if (task.log_expired) return { lines: [] };
  const archive = await openArchive(deps.config.logDir, task.log_filename, { fromLine: from, toLine: to });
  return archive ? { archive, first: from } : { lines: [] };
}

/** the lines of an archive stream, numbered from `first` */
async function collectLines(archive: Readable, first: number): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let rest: Buffer[] = [];
  // split on the byte: '\n' never occurs inside a multi-byte UTF-8 sequence
  for await (const chunk of archive as AsyncIterable<Buffer>) {
    let i = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, i)) {
      const bytes = rest.length === 0 ? chunk.subarray(i, nl) : Buffer.concat([...rest, chunk.subarray(i, nl)]);
      lines.push(parseLine(bytes.toString('utf8'), first + lines.length));
      rest = [];
      i = nl + 1;
    }
    if (i < chunk.length) rest.push(chunk.subarray(i));
  }
  if (rest.length > 0) lines.push(parseLine(Buffer.concat(rest).toString('utf8'), first + lines.length));
  return lines;
}

/** the log lines of a task (or of one of its steps), in order */
export async function readTaskLog(deps: Deps, taskId: number, opts: ReadLogOptions = {}): Promise<LogLine[]> {
  const part = await readTaskLogPart(deps, taskId, opts);
  return 'archive' in part ? collectLines(part.archive, part.first) : part.lines;
}

/** the same, as text in Forgejo's line format */
export async function readTaskLogText(deps: Deps, taskId: number, opts: ReadLogOptions = {}): Promise<string> {
  return (await readTaskLog(deps, taskId, opts)).map((l) => formatLine(l.time, l.content)).join('');
}

export interface JobLogState {
  /** the job's current task; 0 while it has none */
  taskId: number;
  /** the job has finished: its task's log gets no more lines */
  done: boolean;
}

/** which task holds a job's log and whether the job has finished: one read of the job row, for a follower's poll */
export async function jobLogState(deps: Deps, jobId: number): Promise<JobLogState> {
  const job = (await deps.knex('action_run_job').where({ id: jobId }).first('task_id', 'status')) as { task_id: number; status: number } | undefined;
  if (!job) throw new NotFound(`job ${jobId} not found`);
  return { taskId: Number(job.task_id), done: isDone(Number(job.status)) };
}

/** the log of a job's current task (the REST API reads logs by job) */
export async function readJobLog(deps: Deps, jobId: number, opts: ReadLogOptions = {}): Promise<LogLine[]> {
  const { taskId } = await jobLogState(deps, jobId);
  if (taskId <= 0) return [];
  return readTaskLog(deps, taskId, opts);
}
