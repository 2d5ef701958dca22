// Inserts planned jobs of a run with Forgejo's initial statuses: blocked when
// the job has needs, the run awaits approval, or the job is incomplete;
// otherwise waiting, which wakes the runners of the job's scopes. A run that
// fails before it starts writes its jobs failed at once.
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import { JobGateway } from '../models/jobs.js';
import type { RunRow } from '../models/runs.js';
import { bumpTasksVersion } from '../models/tasks-version.js';
import type { PlannedJob } from './workflow/index.js';
import { Status } from './status.js';
import { truncateBytes } from './text.js';

export async function insertPlannedJobs(
  k: Executor,
  deps: Deps,
  run: RunRow,
  planned: Array<Pick<PlannedJob, 'jobId' | 'name' | 'needs' | 'runsOn' | 'incompleteMatrix' | 'incompleteRunsOn' | 'incompleteWith' | 'payload' | 'concurrency'>>,
  now: number,
  opts: { failed?: boolean } = {},
): Promise<void> {
  const rows = planned.map((p) => {
    const blocked = p.needs.length > 0 || run.need_approval || p.incompleteMatrix || p.incompleteRunsOn || p.incompleteWith;
    const status = opts.failed ? Status.failure : blocked ? Status.blocked : Status.waiting;
    return {
      run_id: run.id,
      repo_id: run.repo_id,
      owner_id: run.owner_id,
      commit_sha: run.commit_sha,
      is_fork_pull_request: run.is_fork_pull_request,
      name: truncateBytes(p.name, 255),
      job_id: p.jobId,
      attempt: 0,
      workflow_payload: p.payload,
      needs: p.needs,
      runs_on: p.runsOn,
      task_id: 0,
      status,
      concurrency_group: p.concurrency?.group ?? '',
      concurrency_cancel: p.concurrency?.cancelInProgress ?? false,
      started: 0,
      stopped: opts.failed ? now : 0,
      created: now,
      updated: now,
    };
  });
  await new JobGateway(k, deps.dialect).insertAll(rows);
  if (rows.some((j) => j.status === Status.waiting)) await bumpTasksVersion(k, deps.dialect, run.owner_id, run.repo_id, now);
}
