// UpdateTask (spec §5): step states, the task's result, the job and run that
// follow from it, outputs: one transaction. A finished task ignores later
// state; a task whose job was cancelled (or moved on) is stopped and answered
// with `cancelled` so the runner stops too.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import { ActionsError, InvalidArgument } from '../errors.js';
import { Outbox } from '../outbox.js';
import { queueCommitStatuses } from '../commit-status.js';
import { jobsChanged, lockRun } from '../emitter.js';
import { asResult, isDone, Status, statusName } from '../status.js';
import type { Executor } from '../../models/base.js';
import { JobGateway } from '../../models/jobs.js';
import { TaskGateway, type TaskJob, type TaskRow } from '../../models/tasks.js';
import { TaskStepGateway, type TaskStepRow } from '../../models/task-steps.js';
import { TaskOutputGateway } from '../../models/task-outputs.js';
import { bumpScopeVersion } from '../../models/tasks-version.js';
import type { RunnerRow } from '../../models/runners.js';
import { archiveAfterCommit } from '../logs/store.js';
import { deleteIfEphemeral, stopTask } from '../stop-task.js';
import { checkNonNegative, checkResult, checkTime } from './validate.js';

export const MAX_OUTPUT_KEY_BYTES = 255;
export const MAX_OUTPUT_VALUE_BYTES = 1024 * 1024;
const MAX_STEPS = 10_000;

export interface StepStateInput {
  id: number;
  result: number;
  /** unix ms; undefined when unset */
  startedAt?: number;
  stoppedAt?: number;
  logIndex: number;
  logLength: number;
}

export interface TaskStateInput {
  id: number;
  result: number;
  startedAt?: number;
  stoppedAt?: number;
  steps: StepStateInput[];
}

export interface UpdateTaskResult {
  id: number;
  /** the task's Result: 0 while it runs */
  result: number;
  /** keys of every output stored for the task */
  sentOutputs: string[];
}

function checkState(state: TaskStateInput | undefined): asserts state is TaskStateInput {
  if (!state) throw new InvalidArgument('missing state', { field: 'state' });
  checkNonNegative(state.id, 'state.id');
  checkResult(state.result, 'state.result');
  checkTime(state.startedAt, 'state.started_at');
  checkTime(state.stoppedAt, 'state.stopped_at');
  if (state.steps.length > MAX_STEPS) throw new InvalidArgument(`state.steps: at most ${MAX_STEPS}`, { field: 'state.steps' });
  for (const s of state.steps) {
    checkNonNegative(s.id, 'state.steps.id');
    checkResult(s.result, 'state.steps.result');
    checkNonNegative(s.logIndex, 'state.steps.log_index');
    checkNonNegative(s.logLength, 'state.steps.log_length');
    checkTime(s.startedAt, 'state.steps.started_at');
    checkTime(s.stoppedAt, 'state.steps.stopped_at');
  }
}

async function applySteps(k: Executor, deps: Deps, taskId: number, steps: StepStateInput[]): Promise<void> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const gw = new TaskStepGateway(k, deps.dialect);
  for (const row of await gw.ofTask(taskId)) {
    const s = byId.get(row.index);
    const next: Partial<TaskStepRow> = {};
    if (s) {
      next.log_index = s.logIndex;
      next.log_length = s.logLength;
      next.started = s.startedAt ?? 0;
      next.stopped = s.stoppedAt ?? 0;
    }
    const started = next.started ?? row.started;
    if (s && s.result !== 0) next.status = s.result;
    else if (started !== 0 && !isDone(row.status)) next.status = Status.running;
    const changed = (Object.keys(next) as Array<keyof TaskStepRow>).filter((f) => next[f] !== row[f]);
    // only changed rows are written: the runner repeats the full state every second
    if (changed.length > 0) await gw.update(row.id, Object.fromEntries(changed.map((f) => [f, next[f]])));
  }
}

function acceptedOutputs(outputs: Record<string, string>): Array<[string, string]> {
  return Object.entries(outputs).filter(
    ([key, value]) => key !== '' && Buffer.byteLength(key) <= MAX_OUTPUT_KEY_BYTES && Buffer.byteLength(value) <= MAX_OUTPUT_VALUE_BYTES,
  );
}

export async function updateTask(deps: Deps, runner: RunnerRow, state: TaskStateInput | undefined, outputs: Record<string, string>): Promise<UpdateTaskResult> {
  checkState(state);
  const outbox = new Outbox();
  const result = await deps.knex.transaction(async (trx) => {
    const tasks = new TaskGateway(trx, deps.dialect);
    // the task and its job in one read
    const peek = await tasks.getWithJob(state.id);
    if (!peek) throw new ActionsError('internal', 'update task: resource does not exist');
    if (peek.task.runner_id !== runner.id) throw new ActionsError('internal', 'update task: invalid runner for task');
    if (!isDone(peek.task.status) && peek.job) {
      // lock order is run, then job and task rows (lib/emitter.ts), as for a cancel
      await lockRun(trx, deps, peek.job.run_id);
    }
    // SQLite has one writer, and this transaction holds it: the peek is already current. On PostgreSQL
    // task and job are read again under the run's lock.
    const current = deps.dialect === 'pg' ? (await tasks.getWithJob(state.id, { lock: true }))! : peek;
    let task = current.task;
    // outputs first: a final result hands over to the emitter, which reads them for `needs`
    const out = new TaskOutputGateway(trx, deps.dialect);
    await out.insertIfAbsent(task.id, acceptedOutputs(outputs));
    if (!isDone(task.status)) task = await applyState(trx, deps, outbox, runner, task, current.job, state);
    return { id: state.id, result: asResult(task.status), sentOutputs: await out.keys(task.id) };
  });
  // after the commit, before the answer: events, and the archival of a finished task's log (so a
  // runner that is told its task is done finds the log archived)
  await outbox.flush(deps.events, (e) => deps.logger.warn({ err: e }, 'event listener failed'));
  return result;
}

async function applyState(
  trx: Executor,
  deps: Deps,
  outbox: Outbox,
  runner: RunnerRow,
  task: TaskRow,
  job: TaskJob | undefined,
  state: TaskStateInput,
): Promise<TaskRow> {
  const now = nowMs(deps);
  const tasks = new TaskGateway(trx, deps.dialect);
  const jobs = new JobGateway(trx, deps.dialect);
  if (!job || job.task_id !== task.id || isDone(job.status)) {
    // the job was cancelled (or re-run) while this task ran: stop the task, the answer tells the runner
    await applySteps(trx, deps, task.id, state.steps);
    const status = job && job.task_id === task.id && job.status === Status.failure ? Status.failure : Status.cancelled;
    return (await stopTask(trx, deps, outbox, task, status, runner))!;
  }
  await applySteps(trx, deps, task.id, state.steps);
  if (state.result === 0) {
    // a heartbeat: keeps the task from being taken for a zombie
    await tasks.update(task.id, { updated: now });
    return { ...task, updated: now };
  }
  const stopped = state.stoppedAt ?? now;
  const done: TaskRow = { ...task, status: state.result, stopped, updated: now };
  await jobs.update(job.id, { status: state.result, stopped, updated: now }, { task_id: task.id });
  await tasks.update(task.id, { status: state.result, stopped, updated: now });
  archiveAfterCommit(deps, outbox, done);
  outbox.add({ type: 'task', payload: { id: task.id, job_id: job.id, runner_id: runner.id, status: statusName(state.result) } });
  outbox.add({ type: 'job', payload: { id: job.id, run_id: job.run_id, repo_id: job.repo_id, status: statusName(state.result), task_id: task.id } });
  // hands over to the job emitter: run status, unblocked needs
  await jobsChanged(trx, deps, outbox, job.run_id);
  queueCommitStatuses(deps, outbox, job.run_id);
  // the authenticated runner row says whether it is ephemeral (never changed after registration)
  if (runner.ephemeral) await deleteIfEphemeral(trx, deps, runner);
  // the runner's scope polls again: a concurrency group it was queued behind may be free now (Forgejo bumps here too)
  await bumpScopeVersion(trx, deps.dialect, runner.owner_id, runner.repo_id, now);
  return done;
}
