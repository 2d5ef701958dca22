// Jobs whose matrix, `runs-on` or `with` waited for their needs' outputs are
// planned again once those needs are done: the placeholder is replaced by the
// jobs it expands to (none for an empty matrix). A part that still cannot be
// evaluated fails the run with the matching pre-execution error.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Executor } from '../models/base.js';
import { RunGateway, type RunRow } from '../models/runs.js';
import type { JobRow } from '../models/jobs.js';
import type { Outbox } from './outbox.js';
import { collectNeeds, needsForExpressions, type NeedResult } from './needs.js';
import { planJobs, PreExecutionErrorCode as Code } from './workflow/index.js';
import type { PlannedJob } from './workflow/index.js';
import { makeScope, evaluateValue } from './workflow/expressions.js';
import type { JobPayloadFacts } from './job-facts.js';
import { insertPlannedJobs } from './insert-jobs.js';
import { failRunPreExecution } from './pre-execution.js';
import { reusableFetcher, serverReusableKinds } from './reusable-fetch.js';
import { statusName } from './status.js';
import type { Repository } from './types.js';
import { variablesForRun } from './variables.js';

type Marker = { job?: string; output?: string; dimension?: string };

function marker(doc: Record<string, unknown>, key: string): Marker {
  const v = doc[key];
  return v && typeof v === 'object' ? (v as Marker) : {};
}

/** The pre-execution error for a job that is still incomplete after re-planning. */
function stillIncomplete(p: PlannedJob, blocked: JobRow): [number, unknown[]] | null {
  const doc = p.document;
  const id = blocked.job_id;
  const needsText = blocked.needs.join(', ');
  const fromNeeds = (n: Marker, missingOutput: number, missingJob: number, unknown: number): [number, unknown[]] => {
    if (n.job && n.output) return [missingOutput, [id, n.job, n.output]];
    if (n.job) return [missingJob, [id, n.job, needsText]];
    return [unknown, [id]];
  };
  if (p.incompleteMatrix) return fromNeeds(marker(doc, 'incomplete_matrix_needs'), Code.IncompleteMatrixMissingOutput, Code.IncompleteMatrixMissingJob, Code.IncompleteMatrixUnknownCause);
  if (p.incompleteRunsOn) {
    const dim = marker(doc, 'incomplete_runs_on_matrix').dimension;
    if (dim) return [Code.IncompleteRunsOnMissingMatrixDimension, [id, dim]];
    return fromNeeds(marker(doc, 'incomplete_runs_on_needs'), Code.IncompleteRunsOnMissingOutput, Code.IncompleteRunsOnMissingJob, Code.IncompleteRunsOnUnknownCause);
  }
  if (p.incompleteWith) {
    const dim = marker(doc, 'incomplete_with_matrix').dimension;
    if (dim) return [Code.IncompleteWithMissingMatrixDimension, [id, dim]];
    return fromNeeds(marker(doc, 'incomplete_with_needs'), Code.IncompleteWithMissingOutput, Code.IncompleteWithMissingJob, Code.IncompleteWithUnknownCause);
  }
  return null;
}

/** what re-planning and caller outputs read of the run: the same for every job of one emitter pass */
export interface RunPlanContext {
  run: RunRow;
  vars: Record<string, string>;
}

export async function readRunPlanContext(k: Executor, deps: Deps, runId: number): Promise<RunPlanContext> {
  const run = (await new RunGateway(k, deps.dialect).get(runId))!;
  return { run, vars: await variablesForRun(k, deps.dialect, run.owner_id, run.repo_id) };
}

export async function replanIncompleteJob(
  k: Executor,
  deps: Deps,
  outbox: Outbox,
  blocked: JobRow,
  runJobs: JobRow[],
  { run, vars }: RunPlanContext,
): Promise<'replaced' | 'run-failed'> {
  const needs = await collectNeeds(k, runJobs, blocked.needs);
  const jobOutputs: Record<string, Record<string, string>> = {};
  const jobResults: Record<string, string> = {};
  for (const [id, n] of Object.entries(needs)) {
    jobOutputs[id] = n.outputs;
    jobResults[id] = statusName(n.result);
  }
  const repo = (JSON.parse(run.event_payload || '{}') as { repository?: Repository }).repository;
  let planned: PlannedJob[];
  try {
    planned = await planJobs(blocked.workflow_payload, {
      jobOutputs,
      jobResults,
      workflowNeeds: blocked.needs,
      supportIncompleteRunsOn: true,
      vars,
      expandReusable: repo ? serverReusableKinds : [],
      fetchReusable: repo ? reusableFetcher(deps, repo, run.commit_sha) : undefined,
      dedupeNames: false,
    });
  } catch (e) {
    await failRunPreExecution(k, deps, outbox, run.id, Code.JobParsingError, [e instanceof Error ? e.message : String(e)]);
    return 'run-failed';
  }
  for (const p of planned) {
    if (p.jobId !== blocked.job_id) continue;
    const failure = stillIncomplete(p, blocked);
    if (failure) {
      await failRunPreExecution(k, deps, outbox, run.id, failure[0], failure[1]);
      return 'run-failed';
    }
  }
  const withNeeds = planned.map((p) => ({ ...p, needs: [...p.needs, ...blocked.needs] }));
  await insertPlannedJobs(k, deps, run, withNeeds, nowMs(deps));
  const deleted = await k('action_run_job').where({ id: blocked.id }).delete();
  if (deleted !== 1) throw new Error(`incomplete job ${blocked.id} vanished while it was re-planned`);
  return 'replaced';
}

/** The outputs of a reusable-workflow caller, from its inner jobs' results and outputs. */
export function evaluateCallerOutputs(facts: JobPayloadFacts, needs: Record<string, NeedResult>, { vars }: RunPlanContext): Record<string, string> {
  const scope = makeScope({ needs: needsForExpressions(needs), inputs: facts.workflowCallInputs, vars });
  const out: Record<string, string> = {};
  for (const [name, definition] of Object.entries(facts.outputs)) {
    const expr = definition && typeof definition === 'object' && 'value' in definition ? (definition as { value: unknown }).value : definition;
    try {
      const v = evaluateValue(expr, scope);
      out[name] = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    } catch {
      out[name] = '';
    }
  }
  return out;
}
