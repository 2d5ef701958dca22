// The job emitter: called inside every transaction that changes a job's
// status, whatever caused it (runner result, cancel, timeout, approval, rerun,
// run creation). It settles the run before the commit: blocked jobs whose
// needs are done become waiting or skipped, incomplete jobs are re-planned with
// their needs' outputs, reusable-workflow callers take their inner jobs'
// result, and the run status is recomputed. Nothing is left for a queue or a
// timer, so a crash between two steps cannot strand a run.
//
// LOCK ORDER (PostgreSQL): a transaction that changes jobs of a run takes the
// run's row lock FIRST (lockRun), then touches job rows. The claim path keeps the
// order without waiting: its candidate query locks the runs with SKIP LOCKED
// (TaskGateway.candidates, a busy run is a lost race), then it claims the job,
// so no two transactions ever wait on each other in opposite orders.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import { bumpTasksVersion } from '../models/tasks-version.js';
import type { Outbox } from './outbox.js';
import { recomputeRunStatus, runStatusChange, type RunStatusChange } from './run-status.js';
import { isDone, Status, statusName } from './status.js';
import { readJobFacts, type JobPayloadFacts } from './job-facts.js';
import type { RunRow } from '../models/runs.js';
import { TaskGateway } from '../models/tasks.js';
import { TaskOutputGateway } from '../models/task-outputs.js';
import { collectNeeds } from './needs.js';
import { replanIncompleteJob, evaluateCallerOutputs, readRunPlanContext, type RunPlanContext } from './replan.js';
import { generateToken, hashToken } from './tokens.js';
import { nativeFirst } from '../models/native.js';

/** Takes the run's row lock (waits for it). Call before changing any job of the run. */
export async function lockRun(k: Executor, deps: Pick<Deps, 'dialect'>, runId: number): Promise<boolean> {
  const lock = deps.dialect === 'pg' ? ' for update' : '';
  return (await nativeFirst(k, deps.dialect, `select id from action_run where id = ?${lock}`, [runId])) !== undefined;
}

const failedish = new Set<number>([Status.failure, Status.cancelled, Status.skipped]);

/**
 * Forgejo's status resolver: new statuses for blocked jobs whose needs are all
 * done, iterated to a fixpoint so chains settle in one call. Needs naming no
 * existing job are ignored; cycles stay blocked.
 */
export function resolveBlockedJobs(jobs: JobRow[]): Map<number, number> {
  const status = new Map(jobs.map((j) => [j.id, j.status] as const));
  const byKey = new Map<string, JobRow[]>();
  for (const j of jobs) byKey.set(j.job_id, [...(byKey.get(j.job_id) ?? []), j]);
  // parsed only for the jobs that can move (blocked, needs done): most calls parse nothing
  const facts = new Map<number, JobPayloadFacts>();
  const factsOf = (j: JobRow): JobPayloadFacts => {
    let f = facts.get(j.id);
    if (!f) facts.set(j.id, (f = readJobFacts(j.workflow_payload)));
    return f;
  };
  const changes = new Map<number, number>();
  for (let pass = 0; pass < Math.max(jobs.length, 1); pass++) {
    let changed = false;
    const snapshot = new Map(status);
    for (const job of jobs) {
      if (snapshot.get(job.id) !== Status.blocked) continue;
      const needed = job.needs.flatMap((n) => byKey.get(n) ?? []);
      if (!needed.every((n) => isDone(snapshot.get(n.id)!))) continue;
      const allSucceed = !needed.some((n) => failedish.has(snapshot.get(n.id)!));
      const f = factsOf(job);
      let next: number;
      if (f.workflowCallId) {
        if (allSucceed) next = f.incompleteMatrix || f.incompleteWith ? Status.waiting : Status.success;
        else next = Status.failure;
      } else if (allSucceed || f.if.trim() !== '') next = Status.waiting;
      else next = Status.skipped;
      status.set(job.id, next);
      changes.set(job.id, next);
      changed = true;
    }
    if (!changed) break;
  }
  return changes;
}

const MAX_EXPANSION_DEPTH = 5;

/**
 * Settles run `runId` after a job change. The caller holds the run lock
 * (lockRun: every job change takes it first) and commits; events and commit
 * statuses go to the outbox.
 */
export async function jobsChanged(k: Executor, deps: Deps, outbox: Outbox, runId: number): Promise<void> {
  const gateway = new JobGateway(k, deps.dialect);
  // the statuses of the run's jobs as they are now, when this pass changed none of them
  let unchanged: JobRow[] | undefined;
  // a job this call made waiting: the runners of its scopes poll again (one bump for all of them)
  let woken: JobRow | undefined;
  // read on the first job that needs it: most passes re-plan nothing
  let plan: RunPlanContext | undefined;
  for (let depth = 0; depth <= MAX_EXPANSION_DEPTH; depth++) {
    const jobs = await gateway.ofRun(runId);
    const updates = !jobs.some((j) => j.status === Status.blocked) ? new Map<number, number>() : resolveBlockedJobs(jobs);
    if (updates.size === 0) {
      unchanged = jobs;
      break;
    }
    let expanded = false;
    let runFailed = false;
    const now = nowMs(deps);
    for (const job of jobs) {
      const next = updates.get(job.id);
      if (next === undefined) continue;
      const facts = readJobFacts(job.workflow_payload);
      const fields: Partial<JobRow> = { status: next, updated: now };
      if (next === Status.waiting && (facts.incompleteMatrix || facts.incompleteRunsOn || facts.incompleteWith)) {
        plan ??= await readRunPlanContext(k, deps, runId);
        const outcome = await replanIncompleteJob(k, deps, outbox, job, jobs, plan);
        if (outcome === 'run-failed') {
          runFailed = true;
          break;
        }
        expanded = true;
        continue;
      }
      if (facts.workflowCallId && (next === Status.success || next === Status.failure)) {
        const needs = await collectNeeds(k, jobs, job.needs);
        plan ??= await readRunPlanContext(k, deps, runId);
        const outputs = evaluateCallerOutputs(facts, needs, plan);
        const attempt = job.attempt + 1;
        // the caller's own task (never on a runner) holds its outputs, where `needs` of later jobs read them
        const taskId = (
          await new TaskGateway(k, deps.dialect).insert({
            job_id: job.id,
            attempt,
            runner_id: 0,
            status: next,
            started: now,
            stopped: now,
            repo_id: job.repo_id,
            owner_id: job.owner_id,
            commit_sha: job.commit_sha,
            is_fork_pull_request: job.is_fork_pull_request,
            token_hash: hashToken(generateToken()),
            runner_request_key: null,
            created: now,
            updated: now,
          })
        ).id;
        await new TaskOutputGateway(k, deps.dialect).insertIfAbsent(taskId, Object.entries(outputs));
        fields.task_id = taskId;
        fields.attempt = attempt;
      }
      const n = await gateway.update(job.id, fields, { status: Status.blocked });
      if (n !== 1) throw new Error(`job ${job.id} changed while the emitter settled it`);
      if (next === Status.waiting) woken = job;
      outbox.add({ type: 'job', payload: { id: job.id, run_id: runId, status: statusName(next) } });
    }
    if (runFailed || !expanded) break;
  }
  if (woken) await bumpTasksVersion(k, deps.dialect, woken.owner_id, woken.repo_id, nowMs(deps));
  await recomputeRunStatus(k, deps, outbox, runId, { statuses: unchanged?.map((j) => j.status) });
}

/**
 * The emitter's work on a claim, decided before the claim is written so that the
 * claim's statement can carry it (TaskGateway.claim). A claim turns waiting jobs
 * into running ones and nothing else: no blocked job can become ready (needs wait
 * for done jobs) and nothing is re-planned, so only the run status can follow.
 * `run` is the row read under the run lock (TaskGateway.candidates).
 */
export function runChangeOnClaim(run: RunRow, now: number): RunStatusChange | null {
  // The run's status is the aggregate of its jobs' (every change of a job recomputes it under the
  // run lock), so the new status follows from the old one without reading the jobs: with a running
  // job among them, the aggregate is cancelled or failure when one of those is there already,
  // running otherwise.
  const status = run.status === Status.cancelled || run.status === Status.failure ? run.status : Status.running;
  return runStatusChange(run, status, now);
}
