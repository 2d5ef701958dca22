// Pull requests from forks: who is trusted (write access through the host, or
// marked always-trusted for the repository), and approving runs that wait.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import type { Repository } from './types.js';
import { JobGateway } from '../models/jobs.js';
import { RunGateway } from '../models/runs.js';
import { bumpTasksVersion } from '../models/tasks-version.js';
import type { Outbox } from './outbox.js';
import { Status, statusName } from './status.js';
import { jobsChanged, lockRun } from './emitter.js';

export async function isTrustedPoster(deps: Deps, repo: Repository, userId: number): Promise<boolean> {
  if (!userId) return false;
  if (deps.host.userCanWrite && (await deps.host.userCanWrite(repo, userId))) return true;
  const row = await deps.knex('action_trusted_user').where({ repo_id: repo.id, user_id: userId }).first('user_id');
  return !!row;
}

export async function trustUser(deps: Deps, repoId: number, userId: number): Promise<void> {
  await deps.knex('action_trusted_user').insert({ repo_id: repoId, user_id: userId, created: nowMs(deps) }).onConflict(['repo_id', 'user_id']).ignore();
}

export async function revokeTrust(deps: Deps, repoId: number, userId: number): Promise<void> {
  await deps.knex('action_trusted_user').where({ repo_id: repoId, user_id: userId }).delete();
}

/** Approves one run: jobs without needs start waiting; the others follow through the emitter. */
export async function approveRun(k: Executor, deps: Deps, outbox: Outbox, runId: number, approverId: number): Promise<boolean> {
  await lockRun(k, deps, runId);
  const runs = new RunGateway(k, deps.dialect);
  const run = await runs.get(runId);
  if (!run || !run.need_approval) return false;
  const now = nowMs(deps);
  const jobs = new JobGateway(k, deps.dialect);
  let woke = false;
  for (const job of await jobs.ofRun(runId)) {
    if (job.status !== Status.blocked || job.needs.length > 0) continue;
    const n = await jobs.update(job.id, { status: Status.waiting, updated: now }, { status: Status.blocked });
    if (n === 1) {
      woke = true;
      outbox.add({ type: 'job', payload: { id: job.id, run_id: runId, status: statusName(Status.waiting) } });
    }
  }
  await runs.update(runId, { need_approval: false, approved_by: approverId, updated: now });
  if (woke) await bumpTasksVersion(k, deps.dialect, run.owner_id, run.repo_id, now);
  await jobsChanged(k, deps, outbox, runId);
  return true;
}
