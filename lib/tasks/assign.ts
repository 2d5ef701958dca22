// FetchTask: hands waiting jobs to a runner as tasks (spec §4). An idle poll
// is answered from the tasks version read with the runner; only a changed
// version looks at jobs. Claims are row claims in one transaction, and the
// request key makes a retried call return the tasks it already assigned.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import { ActionsError, InvalidArgument } from '../errors.js';
import { Outbox } from '../outbox.js';
import { queueCommitStatuses } from '../commit-status.js';
import { runChangeOnClaim } from '../emitter.js';
import { announceRunStatus } from '../run-status.js';
import { generateToken, hashToken } from '../tokens.js';
import { Status } from '../status.js';
import { advisoryXactLock, forUpdate, type Executor } from '../../models/base.js';
import { RunGateway, type RunRow } from '../../models/runs.js';
import { JobGateway } from '../../models/jobs.js';
import { TaskGateway, type Candidate, type TaskRow } from '../../models/tasks.js';
import { bumpScopeVersion } from '../../models/tasks-version.js';
import type { PollingRunner, PollRow } from '../../models/runners.js';
import { pollingRunner } from '../runners.js';
import { logFilename } from '../logs/format.js';
import { parseWorkflowPayload, stepNamesOf } from './steps.js';
import { readJobPayload } from '../job-facts.js';
import { buildAssignedTask, type AssignedTask } from './message.js';
import { notQueuedBehind } from './concurrency.js';

/** the most tasks one call hands out, whatever capacity the runner claims */
export const MAX_TASKS_PER_FETCH = 64;
const MAX_REQUEST_KEY = 255;

export interface FetchInput {
  tasksVersion: number;
  /** task_capacity; undefined when the runner did not send it */
  capacity?: number;
  requestKey: string | null;
}

export interface FetchResult {
  tasks: AssignedTask[];
  tasksVersion: number;
}

export function checkFetchInput(input: FetchInput): void {
  if (input.tasksVersion < 0) throw new InvalidArgument('tasks_version: must not be negative', { field: 'tasks_version' });
  if (input.capacity !== undefined && input.capacity < 0) throw new InvalidArgument('task_capacity: must not be negative', { field: 'task_capacity' });
  if (input.requestKey !== null && input.requestKey.length > MAX_REQUEST_KEY) {
    throw new InvalidArgument(`x-runner-request-key: at most ${MAX_REQUEST_KEY} characters`, { field: 'x-runner-request-key' });
  }
}

function rowsRunnerScope(runner: PollingRunner): { ownerId: number; repoId: number } {
  return { ownerId: runner.owner_id, repoId: runner.repo_id };
}

async function flush(deps: Deps, outbox: Outbox): Promise<void> {
  await outbox.flush(deps.events, (e) => deps.logger.warn({ err: e }, 'event listener failed'));
}

export async function fetchTasks(deps: Deps, poll: PollRow, input: FetchInput): Promise<FetchResult> {
  checkFetchInput(input);
  // a retry of a call that assigned tasks: answered by the transaction below, whatever the version
  const replaying = input.requestKey !== null && poll.keyUsed;
  let latest = poll.version;
  if (!replaying) {
    if (latest === 0) {
      // first poll of this scope: create its row, and never answer 0
      await bumpScopeVersion(deps.knex, deps.dialect, poll.owner_id, poll.repo_id, nowMs(deps));
      latest = 1;
    }
    if (input.tasksVersion === latest) return { tasks: [], tasksVersion: latest };
  }
  const runner = pollingRunner(poll);

  const capacity = runner.ephemeral ? 1 : Math.min(Math.max(input.capacity ?? 1, 1), MAX_TASKS_PER_FETCH);
  const outbox = new Outbox();
  const result = await deps.knex.transaction(async (trx) => {
    const tasksGw = new TaskGateway(trx, deps.dialect);
    // the same tasks with new tokens (the old ones stop working); a key seen used never claims more
    const replay = async (earlier?: TaskRow[]) => ({
      tasks: await reissue(trx, deps, earlier ?? (await tasksGw.byRequestKey(runner.id, input.requestKey!))),
      contended: false,
      replayed: true,
    });
    if (input.requestKey !== null) {
      // calls with the same key (a retry racing the original) run one after the other, on any instance;
      // whether the one before committed tasks is asked by the next statement, under this lock
      await advisoryXactLock(trx, deps.dialect, `forge-actions:fetch:${runner.id}:${input.requestKey}`);
      if (replaying) return replay();
      // an ephemeral runner's one-task rule below would hide the task a retry must get back
      if (runner.ephemeral) {
        const earlier = await tasksGw.byRequestKey(runner.id, input.requestKey);
        if (earlier.length > 0) return replay(earlier);
      }
    }
    if (runner.ephemeral) {
      // one task in an ephemeral runner's life: the runner row lock orders its concurrent fetches
      const lock = trx('action_runner').where({ id: runner.id }).first('id');
      forUpdate(lock, deps.dialect);
      await lock;
      if (await tasksGw.anyOfRunner(runner.id)) return { tasks: [], contended: false, replayed: false };
    }
    const picked = await pick(trx, deps, outbox, runner, capacity, input.requestKey);
    if (picked.keyUsed) return replay();
    return { ...picked, replayed: false };
  });
  await flush(deps, outbox);
  if (result.replayed) return { tasks: result.tasks, tasksVersion: 0 };
  // a lost race must not look like "no work": the runner would cache `latest` and stop asking
  if (result.tasks.length === 0 && result.contended) return { tasks: [], tasksVersion: input.tasksVersion };
  return { tasks: result.tasks, tasksVersion: latest };
}

async function pick(
  trx: Executor,
  deps: Deps,
  outbox: Outbox,
  runner: PollingRunner,
  capacity: number,
  requestKey: string | null,
): Promise<{ tasks: AssignedTask[]; contended: boolean; keyUsed?: boolean }> {
  const tasksGw = new TaskGateway(trx, deps.dialect);
  const scope = rowsRunnerScope(runner);
  // the runs a task was created in, each as read under its lock
  const runs = new Map<number, RunRow>();
  const tasks: AssignedTask[] = [];
  let contended = false;
  let after: { updated: number; id: number } | null = null;
  const now = nowMs(deps);
  while (tasks.length < capacity) {
    // exactly as many as are missing: on PostgreSQL every row of the page locks its run until the commit
    const wanted = capacity - tasks.length;
    const first = after === null;
    const { rows: page, keyUsed } = await tasksGw.candidates(scope, runner.labels, wanted, after, {
      extra: notQueuedBehind,
      // the first page also tells whether a call with the same key got here first
      requestKey: first && requestKey !== null ? { runnerId: runner.id, key: requestKey } : undefined,
    });
    if (first && requestKey !== null && (keyUsed ?? (await tasksGw.requestKeyUsed(runner.id, requestKey)))) return { tasks: [], contended: false, keyUsed: true };
    for (const candidate of page) {
      // the first read of a run in this transaction is the one under its lock
      const run = runs.get(candidate.run.id) ?? candidate.run;
      const task = await claimTask(trx, deps, outbox, runner, run, candidate, requestKey, !runs.has(run.id), now);
      if (!task) {
        // claimed or changed since the page was read
        contended = true;
        continue;
      }
      runs.set(run.id, run);
      tasks.push(task);
    }
    if (page.length < wanted) {
      // a lost race must not read as "no work": on PostgreSQL a short page may have skipped jobs whose run another transaction holds
      if (deps.dialect === 'pg' && !contended && tasks.length < capacity) contended = await tasksGw.anyCandidate(scope, runner.labels, notQueuedBehind);
      break;
    }
    const last = page[page.length - 1]!;
    after = { updated: last.updated, id: last.id };
  }
  // "Has started running", after the commit
  for (const runId of [...runs.keys()].sort((a, b) => a - b)) queueCommitStatuses(deps, outbox, runId);
  return { tasks, contended };
}

/** claims one candidate with its task; undefined when the job was claimed or changed since it was read */
async function claimTask(
  trx: Executor,
  deps: Deps,
  outbox: Outbox,
  runner: PollingRunner,
  run: RunRow,
  candidate: Candidate,
  requestKey: string | null,
  firstOfRun: boolean,
  now: number,
): Promise<AssignedTask | undefined> {
  // throws (internal, as Forgejo) for a payload that is not a single-job workflow: nothing is claimed
  const stepNames = stepNamesOf(candidate.id, parseWorkflowPayload(candidate.id, candidate.payload));
  // the run's status after a claim is known before it (lib/emitter.ts): the claim's statement writes it
  const runChange = firstOfRun ? runChangeOnClaim(run, now) : null;
  const token = generateToken();
  const claimed = await new TaskGateway(trx, deps.dialect).claim({
    jobId: candidate.id,
    taskId: candidate.taskId,
    now,
    runnerId: runner.id,
    taskStatus: Status.running,
    stepNames,
    stepStatus: Status.waiting,
    tokenHash: hashToken(token),
    requestKey,
    logFilename: (taskId) => logFilename(repoFullName(run), taskId),
    run: runChange ? { id: run.id, fields: runChange.fields } : undefined,
  });
  if (!claimed) return undefined;
  const { job, stored } = claimed;
  if (job.run_id !== run.id) throw new ActionsError('internal', `pick task: job ${job.id} moved to run ${job.run_id}`);
  if (runChange) announceRunStatus(outbox, run, runChange);
  const taskId = job.task_id;
  outbox.add({ type: 'job', payload: { id: job.id, run_id: job.run_id, repo_id: job.repo_id, status: 'running', task_id: taskId } });
  outbox.add({ type: 'task', payload: { id: taskId, job_id: job.id, runner_id: runner.id, status: 'running' } });
  return buildAssignedTask(trx, deps, { run, job, taskId, token, payload: readJobPayload(job.workflow_payload), stored });
}

function repoFullName(run: RunRow): string {
  try {
    const event = JSON.parse(run.event_payload || '{}') as { repository?: { full_name?: unknown } };
    if (typeof event.repository?.full_name === 'string' && event.repository.full_name !== '') return event.repository.full_name;
  } catch {
    /* fall through to the id-based name */
  }
  return `repo-${run.repo_id}`;
}

async function reissue(trx: Executor, deps: Deps, tasks: TaskRow[]): Promise<AssignedTask[]> {
  const out: AssignedTask[] = [];
  const tasksGw = new TaskGateway(trx, deps.dialect);
  for (const task of tasks) {
    const job = await new JobGateway(trx, deps.dialect).get(task.job_id);
    const run = job && (await new RunGateway(trx, deps.dialect).get(job.run_id));
    if (!job || !run) throw new ActionsError('internal', `recover tasks failed: job ${task.job_id} of task ${task.id} not found`);
    const token = generateToken();
    await tasksGw.update(task.id, { token_hash: hashToken(token) });
    out.push(await buildAssignedTask(trx, deps, { run, job: { ...job, attempt: task.attempt, task_id: task.id }, taskId: task.id, token }));
  }
  return out;
}
