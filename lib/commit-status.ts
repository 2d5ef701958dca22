// Commit statuses through the host (spec job-lifecycle §5): one per job,
// written only when its state or description changes. The row in
// action_commit_status decides, across instances, who calls the host.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Outbox } from './outbox.js';
import { RunGateway, type RunRow } from '../models/runs.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import { commitStatusEvent } from './forge-event.js';
import { readJobFacts } from './job-facts.js';
import { getRepository } from './repositories.js';
import { Status } from './status.js';
import type { CommitStatus, Repository } from './types.js';

/** Go's time.Duration.String() on whole seconds: 0s, 45s, 1m38s, 1h0m0s. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

function jobDuration(job: JobRow, now: number): number {
  if (!job.started) return 0;
  return ([1, 2, 3, 4].includes(job.status) ? job.stopped : now) - job.started;
}

export function describeJobStatus(job: JobRow, now: number): { state: CommitStatus['state']; description: string } {
  switch (job.status) {
    case Status.success:
      return { state: 'success', description: `Successful in ${formatDuration(jobDuration(job, now))}` };
    case Status.failure:
      return { state: 'failure', description: `Failing after ${formatDuration(jobDuration(job, now))}` };
    case Status.cancelled:
      return { state: 'failure', description: 'Has been cancelled' };
    case Status.skipped:
      return { state: 'success', description: 'Has been skipped' };
    case Status.running:
      return { state: 'pending', description: 'Has started running' };
    case Status.waiting:
      return { state: 'pending', description: 'Waiting to run' };
    case Status.blocked:
      return { state: 'pending', description: 'Blocked by required conditions' };
    default:
      return { state: 'error', description: '' };
  }
}

/** Writes (after the commit) the commit status of every job of the run whose state or description changed. */
export function queueCommitStatuses(deps: Deps, outbox: Outbox, runId: number, known: Known = {}): void {
  if (!deps.host.createCommitStatus) return;
  outbox.after(() => writeCommitStatuses(deps, runId, known));
}

/** rows the caller already has, to spare their queries (the jobs are always read fresh) */
export interface Known {
  run?: RunRow;
  repo?: Repository;
}

export async function writeCommitStatuses(deps: Deps, runId: number, known: Known = {}): Promise<void> {
  const host = deps.host;
  if (!host.createCommitStatus) return;
  const run = known.run ?? (await new RunGateway(deps.knex, deps.dialect).get(runId));
  if (!run || run.schedule_id) return;
  const word = commitStatusEvent(run.event, run.trigger_event);
  if (!word) return;
  const payload = JSON.parse(run.event_payload || '{}') as { head_commit?: { id?: string }; pull_request?: { head?: { sha?: string } } };
  const sha = run.event === 'push' ? payload.head_commit?.id || run.commit_sha : run.event === 'release' ? run.commit_sha : payload.pull_request?.head?.sha;
  if (!sha) return;
  const repo = known.repo ?? (await getRepository(deps, run.repo_id));
  if (!repo) return;
  const jobs = await new JobGateway(deps.knex, deps.dialect).ofRun(runId);
  const now = nowMs(deps);
  const base = `${deps.config.publicUrl.replace(/\/$/, '')}/${repo.full_name}/actions/runs/${run.run_number}`;
  const wanted = new Map<string, CommitStatus>();
  for (const [index, job] of jobs.entries()) {
    const facts = readJobFacts(job.workflow_payload);
    if (facts.incompleteMatrix) continue;
    const { state, description } = describeJobStatus(job, now);
    const name = job.job_id ? facts.workflowName : run.workflow_id.split('/').pop()!;
    const context = `${name} / ${job.name} (${word})`.trim();
    wanted.set(context, { state, context, description, target_url: `${base}/jobs/${index}` });
  }
  if (wanted.size === 0) return;
  // one statement claims every change: only the instance whose upsert changed a row tells the host about it
  const changed = (await deps.knex('action_commit_status')
    .insert([...wanted.values()].map((w) => ({ repo_id: run.repo_id, commit_sha: sha, context: w.context, state: w.state, description: w.description, updated: now })))
    .onConflict(['repo_id', 'commit_sha', 'context'])
    .merge(['state', 'description', 'updated'])
    .where((q) => q.whereRaw('action_commit_status.state <> excluded.state').orWhereRaw('action_commit_status.description <> excluded.description'))
    .returning('context')) as Array<{ context: string }>;
  for (const { context } of changed) {
    try {
      await host.createCommitStatus(repo, sha, wanted.get(context)!);
    } catch (e) {
      deps.logger.warn({ err: e, run: runId, context }, 'commit status not written');
    }
  }
}
