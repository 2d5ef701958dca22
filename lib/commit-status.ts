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
import { isDone, Status } from './status.js';
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
  return (isDone(job.status) ? job.stopped : now) - job.started;
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
export function queueCommitStatuses(deps: Deps, outbox: Outbox, runId: number): void {
  if (!deps.host.createCommitStatus) return;
  outbox.after(async () => {
    const run = await new RunGateway(deps.knex, deps.dialect).get(runId);
    if (run) await writeCommitStatuses(deps, [run]);
  });
}

/** the same for the runs one event created, in one pass over their jobs */
export function queueCommitStatusesOfRuns(deps: Deps, outbox: Outbox, runs: RunRow[], repo: Repository): void {
  if (!deps.host.createCommitStatus || runs.length === 0) return;
  outbox.after(() => writeCommitStatuses(deps, runs, repo));
}

/** the commit a run's statuses go to, or null for events that get none (spec §5) */
function statusTarget(run: RunRow): { sha: string; word: string } | null {
  if (run.schedule_id) return null;
  const word = commitStatusEvent(run.event, run.trigger_event);
  if (!word) return null;
  const payload = JSON.parse(run.event_payload || '{}') as { head_commit?: { id?: string }; pull_request?: { head?: { sha?: string } } };
  const sha = run.event === 'push' ? payload.head_commit?.id || run.commit_sha : run.event === 'release' ? run.commit_sha : payload.pull_request?.head?.sha;
  return sha ? { sha, word } : null;
}

export async function writeCommitStatuses(deps: Deps, runs: RunRow[], knownRepo?: Repository): Promise<void> {
  const host = deps.host;
  if (!host.createCommitStatus) return;
  const targets = new Map<number, { run: RunRow; sha: string; word: string }>();
  for (const run of runs) {
    const t = statusTarget(run);
    if (t) targets.set(run.id, { run, ...t });
  }
  if (targets.size === 0) return;
  const repoIds = new Set([...targets.values()].map((t) => t.run.repo_id));
  const repos = new Map<number, Repository>();
  for (const id of repoIds) {
    const repo = knownRepo?.id === id ? knownRepo : await getRepository(deps, id);
    if (repo) repos.set(id, repo);
  }
  const jobsByRun = new Map<number, JobRow[]>();
  for (const job of await new JobGateway(deps.knex, deps.dialect).ofRuns([...targets.keys()])) {
    jobsByRun.set(job.run_id, [...(jobsByRun.get(job.run_id) ?? []), job]);
  }
  const now = nowMs(deps);
  const wanted = new Map<string, { repo: Repository; sha: string; status: CommitStatus }>();
  for (const { run, sha, word } of targets.values()) {
    const repo = repos.get(run.repo_id);
    if (!repo) continue;
    const base = `${deps.config.publicUrl.replace(/\/$/, '')}/${repo.full_name}/actions/runs/${run.run_number}`;
    for (const [index, job] of (jobsByRun.get(run.id) ?? []).entries()) {
      const facts = readJobFacts(job.workflow_payload);
      if (facts.incompleteMatrix) continue;
      const { state, description } = describeJobStatus(job, now);
      const name = job.job_id ? facts.workflowName : run.workflow_id.split('/').pop()!;
      const context = `${name} / ${job.name} (${word})`.trim();
      wanted.set(`${run.repo_id}\0${sha}\0${context}`, { repo, sha, status: { state, context, description, target_url: `${base}/jobs/${index}` } });
    }
  }
  if (wanted.size === 0) return;
  // one statement claims every change: only the instance whose upsert changed a row tells the host about it
  const changed = (await deps.knex('action_commit_status')
    .insert([...wanted.values()].map((w) => ({ repo_id: w.repo.id, commit_sha: w.sha, context: w.status.context, state: w.status.state, description: w.status.description, updated: now })))
    .onConflict(['repo_id', 'commit_sha', 'context'])
    .merge(['state', 'description', 'updated'])
    .where((q) => q.whereRaw('action_commit_status.state <> excluded.state').orWhereRaw('action_commit_status.description <> excluded.description'))
    .returning(['repo_id', 'commit_sha', 'context'])) as Array<{ repo_id: number; commit_sha: string; context: string }>;
  for (const c of changed) {
    const w = wanted.get(`${Number(c.repo_id)}\0${c.commit_sha}\0${c.context}`);
    if (!w) continue;
    try {
      await host.createCommitStatus(w.repo, w.sha, w.status);
    } catch (e) {
      deps.logger.warn({ err: e, repo: w.repo.full_name, context: c.context }, 'commit status not written');
      // the row claimed a status the host never got: without it, the reconciliation pass writes it again
      await deps.knex('action_commit_status')
        .where({ repo_id: w.repo.id, commit_sha: w.sha, context: c.context, state: w.status.state, description: w.status.description })
        .delete()
        .catch((err: unknown) => deps.logger.warn({ err }, 'could not release a commit status claim'));
    }
  }
}
