// Secrets: stored sealed (lib/sealed.ts, AES-256-GCM bound to the row id),
// per repository, owner or instance scope, never readable back through the
// programmatic API: only a task's payload carries values (job-lifecycle §6.1–6.3).
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { ActionsError, NotFound } from './errors.js';
import type { Executor, StoredRow } from '../models/base.js';
import { advisoryXactLock } from '../models/base.js';
import { SecretGateway } from '../models/secrets.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import type { RunRow } from '../models/runs.js';
import { scopeColumns, type Scope } from './scope.js';
import { normaliseValue, secretName } from './names.js';
import { seal, secretAad, secretKeyOf, unseal } from './sealed.js';
import { checkSealingKey } from './keys.js';
import type { JobPayload } from './job-payload.js';
import { readJobFacts, readJobPayload } from './job-facts.js';
import { buildContext } from './context.js';
import { variablesForRun } from './variables.js';
import { collectNeeds, needsForExpressions } from './needs.js';
import { interpolate, makeScope } from './workflow/expressions.js';

export interface SecretInfo {
  name: string;
  /** unix milliseconds */
  created: number;
  updated: number;
}

/** Creates or replaces a secret (Forgejo's create-or-update); `created` tells which happened. */
export async function setSecret(deps: Deps, scope: Scope, name: string, data: string): Promise<{ name: string; created: boolean }> {
  const columns = scopeColumns(scope);
  const upper = secretName(name);
  const value = normaliseValue(data, 'data');
  const key = secretKeyOf(deps);
  const now = nowMs(deps);
  return deps.knex.transaction(async (trx) => {
    // concurrent creates of one name would otherwise race to the unique key
    await advisoryXactLock(trx, deps.dialect, `action_secret:${columns.owner_id}:${columns.repo_id}:${upper}`);
    await checkSealingKey(trx, deps, key);
    const secrets = new SecretGateway(trx, deps.dialect);
    const existing = await secrets.find(columns, upper);
    // the ciphertext is bound to the row id, so a new row is inserted first to learn it
    const id = existing?.id ?? (await secrets.insertPlaceholder(columns, upper, now));
    await secrets.setData(id, seal(key, 'action_secret', secretAad(id), value), now);
    return { name: upper, created: !existing };
  });
}

export async function deleteSecret(deps: Deps, scope: Scope, name: string): Promise<void> {
  const columns = scopeColumns(scope);
  const upper = typeof name === 'string' ? name.toUpperCase() : '';
  const deleted = await deps.knex.transaction(async (trx) => {
    const secrets = new SecretGateway(trx, deps.dialect);
    const row = await secrets.find(columns, upper);
    return row ? secrets.delete(row.id) : 0;
  });
  if (!deleted) throw new NotFound(`secret ${upper} not found`, { field: 'name' });
}

/** names and dates only */
export async function listSecrets(deps: Deps, scope: Scope): Promise<SecretInfo[]> {
  const rows = await new SecretGateway(deps.knex, deps.dialect).list(scopeColumns(scope));
  return rows.map((r) => ({ name: r.name, created: Number(r.created), updated: Number(r.updated) }));
}

/** instance, owner and repository secrets of a run, decrypted; the narrower scope wins on a name */
async function storedSecretsForRun(k: Executor, deps: Deps, ownerId: number, repoId: number, read?: StoredRow[]): Promise<Record<string, string>> {
  const rows = read ?? (await new SecretGateway(k, deps.dialect).forRun(ownerId, repoId));
  const key = secretKeyOf(deps);
  const out: Record<string, string> = {};
  for (const r of rows) {
    try {
      out[r.name] = unseal(key, 'action_secret', secretAad(r.id), r.data);
    } catch (e) {
      // one undecryptable secret fails the whole fetch, as in Forgejo: a job must not run with a partial set
      deps.logger.error({ secretId: r.id }, 'a secret could not be decrypted (wrong secretKey?)');
      throw new ActionsError('internal', 'failure to fetch secrets', { cause: e });
    }
  }
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** the caller (outer) job of an inner reusable-workflow job: same run, workflow_call_id = our workflow_call_parent */
function findCaller(runJobs: JobRow[], job: JobRow, parent: string): { row: JobRow; payload: JobPayload } | undefined {
  // the cached facts tell the caller; only its payload is parsed in full
  const called = runJobs.find((j) => j.id !== job.id && readJobFacts(j.workflow_payload).workflowCallId === parent);
  if (called) return { row: called, payload: readJobPayload(called.workflow_payload) };
  // payloads written without call ids: the caller's key is the prefix before the last dot
  const dot = job.job_id.lastIndexOf('.');
  const prefix = dot > 0 ? job.job_id.slice(0, dot) : '';
  const candidates = runJobs.filter((j) => j.job_id === prefix);
  if (candidates.length === 1) return { row: candidates[0]!, payload: readJobPayload(candidates[0]!.workflow_payload) };
  return undefined;
}

/** `strategy.matrix` of a planned job holds one value per dimension */
function matrixOf(job: Record<string, unknown>): { matrix: Record<string, unknown>; strategy: Record<string, unknown> } {
  const strategy = isMapping(job.strategy) ? { ...job.strategy } : {};
  const matrix: Record<string, unknown> = {};
  if (isMapping(strategy.matrix)) {
    for (const [dim, v] of Object.entries(strategy.matrix)) matrix[dim] = Array.isArray(v) ? v[0] : v;
  }
  delete strategy.matrix;
  return { matrix, strategy };
}

/** a caller's `secrets:` mapping evaluated in the caller's context (jobparser EvaluateWorkflowCallSecrets); keys upper-cased */
async function evaluateCallSecrets(
  k: Executor,
  deps: Deps,
  run: RunRow,
  runJobs: JobRow[],
  caller: { row: JobRow; payload: JobPayload },
  mapping: Record<string, unknown>,
  callerSecrets: Record<string, string>,
): Promise<Record<string, string>> {
  const event = (() => {
    try {
      return JSON.parse(run.event_payload || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  const { matrix, strategy } = matrixOf(caller.payload.job);
  const scope = makeScope({
    github: await buildContext(k, deps, run),
    vars: await variablesForRun(k, deps.dialect, run.owner_id, run.repo_id),
    needs: needsForExpressions(await collectNeeds(k, runJobs, caller.row.needs)),
    inputs: run.trigger_event === 'workflow_dispatch' && isMapping(event.inputs) ? event.inputs : {},
    matrix,
    strategy,
    secrets: callerSecrets,
  });
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(mapping)) {
    try {
      out[name.toUpperCase()] = typeof raw === 'string' ? interpolate(raw, scope) : raw === null || raw === undefined ? '' : String(raw);
    } catch (e) {
      // a broken expression drops that secret instead of failing every fetch of the job forever
      deps.logger.warn({ runId: run.id, job: caller.row.job_id, secret: name, err: String(e) }, 'a secrets: mapping could not be evaluated');
    }
  }
  return out;
}

const MAX_CALL_DEPTH = 10;

/**
 * The user secrets a job receives (getSecretsOfJob): none for a fork pull
 * request unless the trigger is pull_request_target; for the inner job of a
 * reusable workflow, what its caller passes (`inherit`, or its `secrets:`
 * mapping evaluated over the caller's own secrets, recursively).
 */
/** a fork pull request runs untrusted code: no stored secrets and no id-token, unless the trigger is pull_request_target */
export function isUntrustedFork(run: RunRow, job: JobRow): boolean {
  return (run.is_fork_pull_request || job.is_fork_pull_request) && run.trigger_event !== 'pull_request_target';
}

export interface SecretsOfJobOptions {
  /** job.workflow_payload, read already */
  payload?: JobPayload;
  /** the run's jobs, read once for the whole chain of callers */
  jobsOfRun?: JobRow[];
  /** the run's stored secret rows (secretsAndVariablesForRun), read already */
  stored?: StoredRow[];
  depth?: number;
}

export async function secretsOfJob(k: Executor, deps: Deps, run: RunRow, job: JobRow, opts: SecretsOfJobOptions = {}): Promise<Record<string, string>> {
  const p = opts.payload ?? readJobPayload(job.workflow_payload);
  const depth = opts.depth ?? 0;
  if (p.workflowCallParent && depth < MAX_CALL_DEPTH) {
    const runJobs = opts.jobsOfRun ?? (await new JobGateway(k, deps.dialect).ofRun(run.id));
    const caller = findCaller(runJobs, job, p.workflowCallParent);
    if (!caller) return {};
    const callerSecrets = await secretsOfJob(k, deps, run, caller.row, { ...opts, payload: caller.payload, depth: depth + 1, jobsOfRun: runJobs });
    const declared = caller.payload.job.secrets;
    if (declared === 'inherit') return callerSecrets;
    if (!isMapping(declared)) return {};
    return evaluateCallSecrets(k, deps, run, runJobs, caller, declared, callerSecrets);
  }
  if (isUntrustedFork(run, job)) return {};
  return storedSecretsForRun(k, deps, run.owner_id, run.repo_id, opts.stored);
}
