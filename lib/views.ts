// The `Run` and `Job` objects of the contract, and why a job has not started.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { RunRow } from '../models/runs.js';
import { ConcurrencyType } from '../models/runs.js';
import type { JobRow } from '../models/jobs.js';
import type { Job, Run } from './types.js';
import { Status, statusName } from './status.js';
import { jsonArray } from '../models/base.js';
import { describePreExecutionError } from './pre-execution.js';

function parseDetails(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

const iso = (ms: number): string | null => (ms ? new Date(ms).toISOString() : null);

export function runView(deps: Deps, run: RunRow, repoFullName: string): Run {
  return {
    id: run.id,
    run_number: run.run_number,
    workflow_id: run.workflow_id,
    title: run.title,
    event: run.event,
    status: statusName(run.status),
    ref: run.ref,
    commit_sha: run.commit_sha,
    trigger_user: run.trigger_user,
    need_approval: run.need_approval,
    started: iso(run.started),
    stopped: iso(run.stopped),
    created: new Date(run.created).toISOString(),
    updated: new Date(run.updated).toISOString(),
    html_url: `${deps.config.publicUrl}${repoFullName}/actions/runs/${run.run_number}`,
    pre_execution_error: run.pre_execution_error_code ? describePreExecutionError(run.pre_execution_error_code, parseDetails(run.pre_execution_error_details)) : null,
  };
}

/** Why a waiting or blocked job has not started, in words a person can act on. */
export async function waitingReason(deps: Deps, run: RunRow, job: JobRow, siblings: JobRow[]): Promise<string | null> {
  if (job.status === Status.blocked) {
    if (run.need_approval) return 'waiting for approval: the pull request comes from a fork';
    const pending = job.needs.filter((n) => siblings.some((s) => s.job_id === n && ![1, 2, 3, 4].includes(s.status)));
    if (pending.length) return `blocked on needs: ${pending.join(', ')}`;
    return 'blocked until its needs are settled';
  }
  if (job.status !== Status.waiting) return null;
  if (run.concurrency_type === ConcurrencyType.queueBehind && run.concurrency_group) {
    const ahead = await deps.knex('action_run')
      .where({ repo_id: run.repo_id, concurrency_group: run.concurrency_group })
      .whereNot({ id: run.id })
      .where((q) => q.where('status', Status.running).orWhere((w) => w.whereIn('status', [0, 5, 6, 7]).andWhere('run_number', '<', run.run_number)))
      .first('id');
    if (ahead) return `queued behind concurrency group ${run.concurrency_group}`;
  }
  if (job.runs_on.length === 0) return 'no runs-on labels: no runner can take this job';
  const since = nowMs(deps) - deps.config.timeouts.runnerOffline;
  const runners = (await deps.knex('action_runner')
    .where('deleted', 0)
    .andWhere('last_online', '>', since)
    .andWhere((q) => q.where({ owner_id: 0, repo_id: 0 }).orWhere({ owner_id: run.owner_id, repo_id: 0 }).orWhere({ owner_id: 0, repo_id: run.repo_id }))
    .select('labels')) as Array<{ labels: string }>;
  const matching = runners.some((r) => {
    const labels = new Set(jsonArray(r.labels));
    return job.runs_on.every((l) => labels.has(l));
  });
  if (!matching) return `no online runner has labels ${job.runs_on.join(', ')}`;
  return 'waiting for a runner to pick it up';
}

export async function jobView(deps: Deps, run: RunRow, job: JobRow, siblings: JobRow[]): Promise<Job> {
  return {
    id: job.id,
    run_id: job.run_id,
    job_id: job.job_id,
    name: job.name,
    status: statusName(job.status),
    attempt: job.attempt,
    runs_on: job.runs_on,
    needs: job.needs,
    task_id: job.task_id,
    started: iso(job.started),
    stopped: iso(job.stopped),
    waiting_reason: await waitingReason(deps, run, job, siblings),
  };
}
