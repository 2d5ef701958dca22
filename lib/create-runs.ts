// From a forge event to runs: resolve the ref and commit, read the workflow
// directory through the host, detect matching workflows, apply pull-request
// trust, plan each workflow and write its run with all its jobs in one
// transaction. A workflow that does not parse gives a failed run with a reason
// a person can read; one bad workflow never stops the others.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { advisoryXactLock } from '../models/base.js';
import { ConcurrencyType, RunGateway, type RunRow } from '../models/runs.js';
import { ScheduleGateway } from '../models/schedules.js';
import type { Repository } from './types.js';
import type { ForgeEvent } from './forge-event.js';
import { chooseWorkflowDir, DEFAULT_BRANCH_EVENTS, detectWorkflows, shouldSkipEvent, planJobs, PreExecutionErrorCode, PULL_REQUEST_EVENTS } from './workflow/index.js';
import type { PlannedJob } from './workflow/index.js';
import { Outbox } from './outbox.js';
import { insertPlannedJobs } from './insert-jobs.js';
import { failRunPreExecution } from './pre-execution.js';
import { reusableFetcher, serverReusableKinds } from './reusable-fetch.js';
import { runConcurrency } from './run-concurrency.js';
import { variablesForRun } from './variables.js';
import { pendingStatuses, Status, statusName } from './status.js';
import { truncateBytes } from './text.js';
import { killRun } from './cancel.js';
import { changeRun } from './run-change.js';
import { queueCommitStatuses, queueCommitStatusesOfRuns } from './commit-status.js';
import { upsertRepository } from './repositories.js';
import { isTrustedPoster } from './trust.js';

export interface CreatedRun {
  id: number;
  run_number: number;
  workflow_id: string;
  event: string;
  status: string;
}

export interface WorkflowToRun {
  workflowId: string;
  workflowDirectory: string;
  content: string;
  triggerEvent: string;
  /** a detection error: the run is created failed with this reason */
  detectionError?: string;
}

export interface RunContext {
  repo: Repository;
  event: string;
  payload: Record<string, unknown>;
  /** `payload` serialised when the caller already did it (every run of one event stores the same text) */
  payloadText?: string;
  ref: string;
  sha: string;
  title: string;
  triggerUser: { id: number; login: string };
  deliveryKey: string | null;
  needApproval?: boolean;
  isForkPullRequest?: boolean;
  pullRequestPosterId?: number;
  pullRequestNumber?: number;
  scheduleId?: number;
  inputs?: Record<string, unknown>;
  /** the run's variables when the caller already read them (one read per event, not per workflow) */
  vars?: Record<string, string>;
  /** runs first inside the run's transaction (a schedule occurrence claim); throwing writes nothing */
  claim?: (trx: Executor) => Promise<void>;
}

interface PreError {
  code: number;
  details: unknown[];
}

export interface WorkflowFiles {
  /** the commit they were read at */
  sha: string;
  dir: string;
  files: Array<{ path: string; content: string }>;
}

/** Reads the workflow files of the repository at `sha`, in the first workflow directory that exists. */
export async function readWorkflowFiles(deps: Deps, repo: Repository, sha: string): Promise<WorkflowFiles> {
  for (const dir of ['.forgejo/workflows', '.gitea/workflows', '.github/workflows']) {
    const listing = await deps.host.listFiles(repo, sha, dir);
    if (listing === null) continue;
    const chosen = chooseWorkflowDir(listing.map((p) => `${dir}/${p}`));
    const files: Array<{ path: string; content: string }> = [];
    for (const path of chosen?.files ?? []) {
      const content = await deps.host.readFile(repo, sha, path);
      if (content !== null) files.push({ path, content });
    }
    return { sha, dir, files };
  }
  return { sha, dir: '.forgejo/workflows', files: [] };
}

function githubContextForPlanning(ctx: RunContext, workflowId: string, triggerEvent: string): Record<string, unknown> {
  const ref = ctx.ref;
  return {
    event: ctx.payload,
    event_name: triggerEvent,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: ref.startsWith('refs/heads/') ? 'branch' : ref.startsWith('refs/tags/') ? 'tag' : '',
    sha: ctx.sha,
    repository: ctx.repo.full_name,
    repository_owner: ctx.repo.owner.login,
    workflow: workflowId,
    actor: ctx.triggerUser.login,
    // the run has no number yet when its concurrency is evaluated (Forgejo evaluates "0")
    run_number: '0',
    head_ref: (ctx.payload.pull_request as { head?: { ref?: string } } | undefined)?.head?.ref ?? '',
    base_ref: (ctx.payload.pull_request as { base?: { ref?: string } } | undefined)?.base?.ref ?? '',
  };
}

/** Cancels the pending jobs of earlier runs in the same concurrency group (cancel-in-progress). */
async function cancelPreviousInGroup(k: Executor, deps: Deps, outbox: Outbox, repoId: number, group: string): Promise<void> {
  // every push asks this (a push's runs cancel the earlier ones of their ref and workflow by default)
  const candidates = await new RunGateway(k, deps.dialect).inGroupWithPendingJobs(repoId, group, pendingStatuses);
  for (const id of candidates) {
    // as a user's cancel does; the superseded run's commit statuses say so too
    await killRun(k, deps, outbox, id, Status.cancelled);
    queueCommitStatuses(deps, outbox, id);
  }
}

/** runs of one event share one outbox: their events and commit statuses go out together at the end */
export interface EventBatch {
  outbox: Outbox;
  created: RunRow[];
}

/** Writes one run with its jobs. Returns the existing run when the delivery already created it. */
export async function createRun(deps: Deps, ctx: RunContext, wf: WorkflowToRun, batch?: EventBatch): Promise<CreatedRun> {
  const row = await createRunRow(deps, ctx, wf, batch);
  return { id: row.id, run_number: row.run_number, workflow_id: row.workflow_id, event: row.event, status: statusName(row.status) };
}

/** createRun, answering with the run's row as the transaction left it (its pre-execution error included) */
export async function createRunRow(deps: Deps, ctx: RunContext, wf: WorkflowToRun, batch?: EventBatch): Promise<RunRow> {
  const vars = ctx.vars ?? (await variablesForRun(deps.knex, deps.dialect, ctx.repo.owner.id, ctx.repo.id));
  let preError: PreError | null = wf.detectionError ? { code: PreExecutionErrorCode.EventDetectionError, details: [wf.detectionError] } : null;
  let planned: PlannedJob[] = [];
  if (!preError) {
    try {
      planned = await planJobs(wf.content, {
        file: `${wf.workflowDirectory}/${wf.workflowId}`,
        vars,
        jobOutputs: {},
        inputs: ctx.inputs ?? null,
        supportIncompleteRunsOn: true,
        expandReusable: serverReusableKinds,
        fetchReusable: reusableFetcher(deps, ctx.repo, ctx.sha),
      });
    } catch (e) {
      preError = { code: PreExecutionErrorCode.JobParsingError, details: [e instanceof Error ? e.message : String(e)] };
    }
  }
  const concurrency = preError
    ? { group: '', type: ConcurrencyType.unlimited }
    : runConcurrency(
        wf.content,
        { ref: ctx.ref, workflowId: wf.workflowId, triggerEvent: wf.triggerEvent, event: ctx.event },
        { github: githubContextForPlanning(ctx, wf.workflowId, wf.triggerEvent), vars, inputs: ctx.inputs },
        // forge events run without a group when it cannot be evaluated; dispatch and schedules report it (spec §5.1)
        { throwOnError: ctx.scheduleId !== undefined || ctx.event === 'workflow_dispatch' },
      );
  const deliveryKey = ctx.deliveryKey ? `${ctx.deliveryKey}:${wf.triggerEvent}` : null;
  // this run's own outbox: what a rolled-back transaction collected is never emitted
  const outbox = new Outbox();
  const run = await deps.knex.transaction(async (trx) => {
    if (ctx.claim) await ctx.claim(trx);
    const runs = new RunGateway(trx, deps.dialect);
    if (deliveryKey) {
      // a redelivered event: serialise on the key so two instances agree on who creates the run
      await advisoryXactLock(trx, deps.dialect, `delivery:${ctx.repo.id}:${deliveryKey}:${wf.workflowId}`);
      const existing = await runs.byDelivery(ctx.repo.id, deliveryKey, wf.workflowId);
      if (existing) return { row: existing, created: false };
    }
    if (concurrency.type === ConcurrencyType.cancelInProgress && concurrency.group) {
      await advisoryXactLock(trx, deps.dialect, `concurrency:${ctx.repo.id}:${concurrency.group}`);
      await cancelPreviousInGroup(trx, deps, outbox, ctx.repo.id, concurrency.group);
    }
    const now = nowMs(deps);
    const row = await runs.insert({
      repo_id: ctx.repo.id,
      owner_id: ctx.repo.owner.id,
      run_number: await runs.nextRunNumber(ctx.repo.id),
      title: truncateBytes(ctx.title, 255),
      workflow_id: wf.workflowId,
      workflow_directory: wf.workflowDirectory,
      trigger_user_id: ctx.triggerUser.id,
      trigger_user: ctx.triggerUser.login,
      schedule_id: ctx.scheduleId ?? 0,
      ref: ctx.ref,
      commit_sha: ctx.sha,
      event: ctx.event,
      trigger_event: wf.triggerEvent,
      event_payload: ctx.payloadText ?? JSON.stringify(ctx.payload),
      status: Status.waiting,
      started: 0,
      stopped: 0,
      previous_duration: 0,
      need_approval: !!ctx.needApproval && wf.triggerEvent !== 'pull_request_target',
      approved_by: 0,
      is_fork_pull_request: !!ctx.isForkPullRequest,
      pull_request_poster_id: ctx.pullRequestPosterId ?? 0,
      pull_request_number: ctx.pullRequestNumber ?? 0,
      concurrency_group: concurrency.group,
      concurrency_type: concurrency.type,
      pre_execution_error_code: 0,
      pre_execution_error_details: '',
      delivery_key: deliveryKey,
      created: now,
      updated: now,
    });
    if (preError) {
      // written failed: a waiting placeholder would wake runners for a job that ends in this transaction
      await insertPlannedJobs(trx, deps, row, [
        { jobId: '', name: row.title || wf.workflowId, needs: [], runsOn: [], incompleteMatrix: false, incompleteRunsOn: false, incompleteWith: false, payload: '' },
      ], now, { failed: true });
      await failRunPreExecution(trx, deps, outbox, row.id, preError.code, preError.details);
    } else {
      await insertPlannedJobs(trx, deps, row, planned, now);
      preError = consistencyFailure(planned);
      if (preError) await failRunPreExecution(trx, deps, outbox, row.id, preError.code, preError.details);
    }
    outbox.add({ type: 'run', payload: { id: row.id, repo_id: row.repo_id, status: statusName(row.status), created: true } });
    // only a pre-execution failure changed the row since the insert
    return { row: preError ? (await runs.get(row.id))! : row, created: true };
  });
  if (batch) {
    outbox.moveTo(batch.outbox);
    if (run.created) batch.created.push(run.row);
  } else {
    if (run.created) queueCommitStatusesOfRuns(deps, outbox, [run.row], ctx.repo);
    await outbox.flush(deps.events, (e) => deps.logger.warn({ err: e }, 'after-commit work failed'));
  }
  return run.row;
}

/**
 * Forgejo's consistencyCheckRun, on the planned documents: a job whose dynamic
 * matrix names a job that is not among its needs, or whose runs-on names a
 * dimension a static matrix lacks, would stay blocked forever; fail the run now.
 */
function consistencyFailure(planned: PlannedJob[]): PreError | null {
  for (const p of planned) {
    const doc = p.document;
    const needsMarker = doc.incomplete_matrix_needs as { job?: string } | undefined;
    if (p.incompleteMatrix && needsMarker?.job && !p.needs.includes(needsMarker.job)) {
      return { code: PreExecutionErrorCode.IncompleteMatrixMissingJob, details: [p.jobId, needsMarker.job, p.needs.join(', ')] };
    }
    const dim = (doc.incomplete_runs_on_matrix as { dimension?: string } | undefined)?.dimension;
    if (p.incompleteRunsOn && dim && !p.incompleteMatrix) return { code: PreExecutionErrorCode.IncompleteRunsOnMissingMatrixDimension, details: [p.jobId, dim] };
  }
  return null;
}

export interface ForgeEventResult {
  runs: CreatedRun[];
  /** the workflow files read at the event's commit, when it got that far: the schedules need not read them again */
  workflows?: WorkflowFiles;
}

/** Handles one forge event end to end and returns the runs it created. */
export async function handleForgeEvent(deps: Deps, ev: ForgeEvent): Promise<ForgeEventResult> {
  // the stored repository follows the event only once the host has answered for it: an event the
  // host refuses (an unknown or unsafe repository name) writes nothing
  const noRuns = async (): Promise<ForgeEventResult> => (await upsertRepository(deps, ev.repo), { runs: [] });
  // the Actions user (-2) never starts workflows: no bot loops
  if (ev.sender.id === -2) return noRuns();
  if (ev.repo.archived || ev.repo.disabled) return noRuns();
  const defaultBranch = ev.repo.default_branch || 'main';
  let ref = ev.ref;
  let sha = ev.sha;
  if (DEFAULT_BRANCH_EVENTS.has(ev.event) || !ref) {
    ref = `refs/heads/${defaultBranch}`;
    sha = '';
  }
  if (!sha) sha = (deps.host.resolveRef ? await deps.host.resolveRef(ev.repo, ref) : null) ?? '';
  if (!sha) return noRuns();
  if (shouldSkipEvent(ev.event, { commitMessage: ev.hook === 'push' ? ev.message : null, prTitle: ev.pr?.title ?? null })) return noRuns();
  if (ev.event === 'pull_request_sync') {
    // the opened/synchronize race: a pull_request run on this commit already exists
    const dup = await deps.knex('action_run').where({ repo_id: ev.repo.id, event: 'pull_request', commit_sha: sha }).first('id');
    if (dup) return noRuns();
  }
  let changedFiles: string[] | null = null;
  if (deps.host.changedFiles) {
    try {
      if (ev.event === 'push') changedFiles = await deps.host.changedFiles(ev.repo, String(ev.payload.before ?? ''), sha);
      else if (ev.pr) changedFiles = await deps.host.changedFiles(ev.repo, ev.pr.baseSha || `refs/heads/${ev.pr.baseRef}`, ev.pr.headSha);
    } catch (e) {
      deps.logger.warn({ err: e }, 'changed files unavailable; path filters will not match');
    }
  }
  const detectAt = async (commit: string) => {
    const read = await readWorkflowFiles(deps, ev.repo, commit);
    return { read, dir: read.dir, ...detectWorkflows({ files: read.files, event: ev.event, payload: ev.payload, changedFiles }) };
  };
  const head = await detectAt(sha);
  let selected: Array<WorkflowToRun> = [
    ...head.matched.map((m) => ({ workflowId: m.workflowId, workflowDirectory: head.dir, content: m.content, triggerEvent: m.triggerEvent })),
    ...head.errors.map((e) => ({ workflowId: e.workflowId, workflowDirectory: head.dir, content: '', triggerEvent: e.triggerEvent, detectionError: e.message })),
  ];
  const ctx: RunContext = {
    repo: ev.repo,
    event: ev.event,
    payload: ev.payload,
    payloadText: JSON.stringify(ev.payload),
    ref: ev.ref || ref,
    sha,
    title: (ev.message.split('\n')[0] ?? '') || ev.event,
    triggerUser: ev.sender,
    deliveryKey: ev.deliveryKey,
    vars: await variablesForRun(deps.knex, deps.dialect, ev.repo.owner.id, ev.repo.id),
  };
  if (ev.pr && PULL_REQUEST_EVENTS.has(ev.event)) {
    const pr = ev.pr;
    ctx.isForkPullRequest = pr.isFork;
    ctx.pullRequestPosterId = pr.posterId;
    ctx.pullRequestNumber = pr.number;
    const baseSha = (deps.host.resolveRef ? await deps.host.resolveRef(ev.repo, `refs/heads/${pr.baseRef}`) : null) ?? pr.baseSha;
    const base = baseSha ? await detectAt(baseSha) : null;
    const targets = (base?.matched ?? [])
      .filter((m) => m.triggerEvent === 'pull_request_target')
      .map((m) => ({ workflowId: m.workflowId, workflowDirectory: base!.dir, content: m.content, triggerEvent: m.triggerEvent }));
    if (pr.isFork) {
      const posterTrusted = await isTrustedPoster(deps, ev.repo, pr.posterId);
      if (!posterTrusted) {
        const doerTrusted = await isTrustedPoster(deps, ev.repo, ev.sender.id);
        if (doerTrusted && ev.event !== 'pull_request_sync' && base) {
          // a trusted maintainer acting on an untrusted fork: run the base branch's workflows
          selected = base.matched.map((m) => ({ workflowId: m.workflowId, workflowDirectory: base.dir, content: m.content, triggerEvent: m.triggerEvent }));
        } else if (!doerTrusted) {
          ctx.needApproval = true;
        }
      }
    }
    // head copies of pull_request_target never run; the base branch's do
    selected = [...targets, ...selected.filter((w) => w.triggerEvent !== 'pull_request_target')];
  }
  await upsertRepository(deps, ev.repo);
  const disabled = await new ScheduleGateway(deps.knex, deps.dialect).disabledWorkflows(ev.repo.id);
  const created: CreatedRun[] = [];
  const batch: EventBatch = { outbox: new Outbox(), created: [] };
  for (const wf of selected) {
    if (disabled.has(wf.workflowId) && wf.triggerEvent !== 'pull_request_target') continue;
    try {
      created.push(await createRun(deps, ctx, wf, batch));
    } catch (e) {
      deps.logger.error({ err: e, workflow: wf.workflowId }, 'could not create run');
    }
  }
  queueCommitStatusesOfRuns(deps, batch.outbox, batch.created, ev.repo);
  await batch.outbox.flush(deps.events, (e) => deps.logger.warn({ err: e }, 'after-commit work failed'));
  if (ev.hook === 'pullRequest' && ev.payload.action === 'closed' && ev.pr && !ev.pr.merged) {
    await cancelRunsAwaitingApproval(deps, ev.repo.id, ev.pr.number);
  }
  return { runs: created, workflows: head.read };
}

/** Closing a pull request cancels its runs still waiting for approval. */
export async function cancelRunsAwaitingApproval(deps: Deps, repoId: number, prNumber: number): Promise<void> {
  const runs = (await deps.knex('action_run').where({ repo_id: repoId, pull_request_number: prNumber, need_approval: true }).select('id')) as Array<{ id: number }>;
  for (const { id } of runs) await changeRun(deps, id, (trx, outbox) => killRun(trx, deps, outbox, id, Status.cancelled));
}

export type { RunRow };
