// The job emitter: called inside every transaction that changes a job's
// status, whatever caused it (runner result, cancel, timeout, approval, rerun).
// It settles the run (run status now; needs, `if`, dynamic matrices and
// reusable-workflow callers as the run lifecycle grows) before the commit.
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import type { Outbox } from './outbox.js';
import { recomputeRunStatus } from './run-status.js';

export async function jobsChanged(k: Executor, deps: Deps, outbox: Outbox, runId: number): Promise<void> {
  await recomputeRunStatus(k, deps, outbox, runId);
}
