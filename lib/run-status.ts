// Recomputes a run's status from its jobs inside the caller's transaction, so
// a job's change and its run's status commit together.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { RunGateway, type RunRow } from '../models/runs.js';
import { JobGateway } from '../models/jobs.js';
import { aggregateStatus, isDone, Status, statusName } from './status.js';
import type { Outbox } from './outbox.js';

/**
 * `opts.run`: the run row, read under its lock in this transaction (saves the
 * re-read); `opts.statuses`: the current statuses of all its jobs, when the
 * caller has just read them under the run lock.
 */
export async function recomputeRunStatus(
  k: Executor,
  deps: Deps,
  outbox: Outbox,
  runId: number,
  opts: { run?: RunRow; statuses?: number[] } = {},
): Promise<RunRow | undefined> {
  const runs = new RunGateway(k, deps.dialect);
  const run = opts.run ?? (await runs.get(runId, { lock: true }));
  if (!run) return undefined;
  // only the statuses matter here: the payloads are not read
  const statuses = opts.statuses ?? (await new JobGateway(k, deps.dialect).statusesOfRun(runId));
  // a run with no jobs keeps its status (Forgejo leaves it waiting)
  if (statuses.length === 0) return run;
  const status = aggregateStatus(statuses);
  const change = runStatusChange(run, status, nowMs(deps));
  if (!change) return run;
  await runs.update(run.id, change.fields);
  const next = { ...run, ...change.fields };
  announceRunStatus(outbox, run, change);
  return next;
}

export interface RunStatusChange {
  status: Status;
  fields: Partial<RunRow>;
  /** a status change or a completion: news for `events` listeners */
  announce: boolean;
}

/** what the run row must change to show `status` at `now`; null when it shows it already */
export function runStatusChange(run: RunRow, status: Status, now: number): RunStatusChange | null {
  const fields: Partial<RunRow> = {};
  if (status !== run.status) fields.status = status;
  if (run.started === 0 && status === Status.running) fields.started = now;
  if (run.stopped === 0 && isDone(status)) fields.stopped = now;
  // the run-done event goes out once per completion, whichever instance settles it
  if (isDone(status) && !run.done_notified) fields.done_notified = true;
  if (Object.keys(fields).length === 0) return null;
  fields.updated = now;
  fields.version = run.version + 1;
  return { status, fields, announce: fields.status !== undefined || !!fields.done_notified };
}

/** the `run` event of a change written in the caller's transaction, for after its commit */
export function announceRunStatus(outbox: Outbox, run: RunRow, change: RunStatusChange): void {
  if (!change.announce) return;
  outbox.add({ type: 'run', payload: { id: run.id, repo_id: run.repo_id, status: statusName(change.status), done: !!change.fields.done_notified } });
}
