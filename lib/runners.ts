// Runners: registration tokens per scope, registration (the Register RPC and
// the HTTP API flow), Declare, authentication of runner calls, listing and
// deletion. The `service` object exposes the scope-taking functions.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { ActionsError, InvalidArgument, NotFound, Unauthenticated } from './errors.js';
import { generateRegistrationToken, generateToken, hashToken, newUuid, tokenMatches } from './tokens.js';
import { RunnerGateway, type PollingRunner, type PollRow, type RunnerRow, type RunnerScope } from '../models/runners.js';
import { jsonArray } from '../models/base.js';
import { RunnerTokenGateway } from '../models/runner-tokens.js';
import { truncateName } from './tasks/steps.js';

/** a scope as callers give it: neither id = the instance; a repository wins over an owner (as Forgejo forces owner 0) */
export interface ScopeInput {
  ownerId?: number;
  repoId?: number;
}

export type RunnerStatusWord = 'offline' | 'idle' | 'active';

/** a runner as `service` and the REST API show it (never its token) */
export interface RunnerInfo {
  id: number;
  uuid: string;
  name: string;
  description: string;
  version: string;
  labels: string[];
  ephemeral: boolean;
  owner_id: number;
  repo_id: number;
  status: RunnerStatusWord;
  last_online: string | null;
  last_active: string | null;
  created: string;
}

/** last_online is written at most this often per runner: idle polls in between write nothing */
export const ONLINE_WRITE_INTERVAL = 30_000;
/** last_active (UpdateTask/UpdateLog) at most this often: well below the 10 s idle threshold */
export const ACTIVE_WRITE_INTERVAL = 5_000;
const IDLE_AFTER = 10_000;
const MAX_LABELS = 256;
const MAX_LABEL_LENGTH = 1024;

export function normalizeScope(scope: ScopeInput = {}): RunnerScope {
  const check = (v: number | undefined, field: string): number => {
    if (v === undefined || v === null) return 0;
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgument(`${field}: must be a non-negative integer`, { field });
    return v;
  };
  const ownerId = check(scope.ownerId, 'ownerId');
  const repoId = check(scope.repoId, 'repoId');
  return repoId > 0 ? { ownerId: 0, repoId } : { ownerId, repoId: 0 };
}

function iso(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}

export function runnerStatus(deps: Deps, r: Pick<RunnerRow, 'last_online' | 'last_active'>): RunnerStatusWord {
  const now = nowMs(deps);
  if (now - r.last_online > deps.config.timeouts.runnerOffline) return 'offline';
  if (now - r.last_active > IDLE_AFTER) return 'idle';
  return 'active';
}

export function runnerInfo(deps: Deps, r: RunnerRow): RunnerInfo {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    version: r.version,
    labels: r.labels,
    ephemeral: r.ephemeral,
    owner_id: r.owner_id,
    repo_id: r.repo_id,
    status: runnerStatus(deps, r),
    last_online: iso(r.last_online),
    last_active: iso(r.last_active),
    created: new Date(r.created).toISOString(),
  };
}

// ---- registration tokens -------------------------------------------------

/** the scope's current registration token, created when there is none or the latest was reset */
export async function getOrCreateRegistrationToken(deps: Deps, scope: ScopeInput = {}): Promise<string> {
  const s = normalizeScope(scope);
  return deps.knex.transaction(async (trx) => {
    const tokens = new RunnerTokenGateway(trx, deps.dialect);
    const latest = await tokens.latest(s);
    if (latest?.is_active) return latest.token;
    return (await tokens.insert(s, generateRegistrationToken(), nowMs(deps))).token;
  });
}

/** invalidates every token of the scope and returns a new one */
export async function resetRegistrationToken(deps: Deps, scope: ScopeInput = {}): Promise<string> {
  const s = normalizeScope(scope);
  return deps.knex.transaction(async (trx) => {
    const tokens = new RunnerTokenGateway(trx, deps.dialect);
    const now = nowMs(deps);
    await tokens.deactivateScope(s, now);
    return (await tokens.insert(s, generateRegistrationToken(), now)).token;
  });
}

// ---- registration ----------------------------------------------------------

function checkLabels(labels: string[]): string[] {
  if (labels.length > MAX_LABELS) throw new InvalidArgument(`labels: at most ${MAX_LABELS}`, { field: 'labels' });
  for (const l of labels) if (l.length > MAX_LABEL_LENGTH) throw new InvalidArgument(`labels: a label is longer than ${MAX_LABEL_LENGTH} characters`, { field: 'labels' });
  return labels;
}

function checkVersion(version: string): string {
  if (version.length > 64) throw new InvalidArgument('version: at most 64 characters', { field: 'version' });
  return version;
}

export interface RegisterInput {
  token: string;
  name: string;
  version: string;
  labels: string[];
  ephemeral: boolean;
}

/** the Register RPC: a new runner in the registration token's scope; the token is revealed only here */
export async function registerRunner(deps: Deps, input: RegisterInput): Promise<{ runner: RunnerRow; token: string }> {
  if (input.token === '' || input.name === '') throw new InvalidArgument('missing runner token, name');
  const labels = checkLabels(input.labels);
  const version = checkVersion(input.version);
  return deps.knex.transaction(async (trx) => {
    const regToken = await new RunnerTokenGateway(trx, deps.dialect).byToken(input.token);
    if (!regToken) throw new InvalidArgument('runner registration token not found');
    if (!regToken.is_active) throw new InvalidArgument('runner registration token has been invalidated, please use the latest one');
    const token = generateToken();
    const now = nowMs(deps);
    const runner = await new RunnerGateway(trx, deps.dialect).insert({
      uuid: newUuid(),
      name: truncateName(input.name),
      version,
      owner_id: regToken.owner_id,
      repo_id: regToken.repo_id,
      description: '',
      token_hash: hashToken(token),
      labels,
      ephemeral: input.ephemeral,
      created: now,
      updated: now,
    });
    return { runner, token };
  });
}

/** the HTTP API flow (spec §3.3): a runner with no labels and no version, which then calls Declare */
export async function registerRunnerViaApi(
  deps: Deps,
  scope: ScopeInput,
  input: { name: string; description?: string; ephemeral?: boolean },
): Promise<{ id: number; uuid: string; token: string }> {
  const s = normalizeScope(scope);
  if (typeof input?.name !== 'string' || input.name.trim() === '') throw new InvalidArgument('name: required', { field: 'name' });
  const token = generateToken();
  const now = nowMs(deps);
  const runner = await new RunnerGateway(deps.knex, deps.dialect).insert({
    uuid: newUuid(),
    name: truncateName(input.name),
    version: '',
    owner_id: s.ownerId,
    repo_id: s.repoId,
    description: input.description ?? '',
    token_hash: hashToken(token),
    labels: [],
    ephemeral: input.ephemeral ?? false,
    created: now,
    updated: now,
  });
  return { id: runner.id, uuid: runner.uuid, token };
}

/** the Declare RPC: replaces labels and version */
export async function declareRunner(deps: Deps, runner: RunnerRow, input: { version: string; labels: string[] }): Promise<RunnerRow> {
  const labels = checkLabels(input.labels);
  const version = checkVersion(input.version);
  const now = nowMs(deps);
  try {
    await new RunnerGateway(deps.knex, deps.dialect).update(runner.id, { labels, version, updated: now });
  } catch (e) {
    throw new ActionsError('internal', `update runner: ${(e as Error).message}`, { cause: e });
  }
  return { ...runner, labels, version, updated: now };
}

// ---- authentication --------------------------------------------------------

function unregistered(): Unauthenticated {
  return new Unauthenticated('unregistered runner');
}

function checkCredentials<R extends Pick<RunnerRow, 'token_hash'>>(runner: R | undefined, token: string): R {
  // the hash comparison runs even for an unknown uuid, so timing does not tell the two apart
  const ok = tokenMatches(token, runner?.token_hash ?? '0'.repeat(64));
  if (!runner || !ok || token === '') throw unregistered();
  return runner;
}

/** writes last_online / last_active when they are due; concurrent instances write once between them */
async function touch(deps: Deps, runner: Pick<RunnerRow, 'id' | 'last_online'> & Partial<Pick<RunnerRow, 'last_active'>>, active: boolean): Promise<void> {
  const now = nowMs(deps);
  const online = now - runner.last_online >= ONLINE_WRITE_INTERVAL;
  const act = active && now - (runner.last_active ?? 0) >= ACTIVE_WRITE_INTERVAL;
  if (!online && !act) return;
  try {
    await new RunnerGateway(deps.knex, deps.dialect).touch(runner.id, now, {
      online: online ? ONLINE_WRITE_INTERVAL : undefined,
      active: act ? ACTIVE_WRITE_INTERVAL : undefined,
    });
  } catch (e) {
    // as in Forgejo, a failed bookkeeping write does not fail the call
    deps.logger.warn({ err: e, runner: runner.id }, 'could not update runner last_online');
  }
}

/** authenticates a runner call (every RPC except Register and Ping) */
export async function authenticateRunner(deps: Deps, uuid: string, token: string, opts: { active?: boolean } = {}): Promise<RunnerRow> {
  if (uuid === '') throw unregistered();
  const runner = checkCredentials(await new RunnerGateway(deps.knex, deps.dialect).byUuid(uuid), token);
  await touch(deps, runner, opts.active ?? false);
  return runner;
}

/** authenticates a FetchTask call and reads what an idle poll needs, in one query */
export async function authenticatePoll(deps: Deps, uuid: string, token: string, requestKey: string | null): Promise<PollRow> {
  if (uuid === '') throw unregistered();
  const poll = checkCredentials(await new RunnerGateway(deps.knex, deps.dialect).forPoll(uuid, requestKey), token);
  await touch(deps, poll, false);
  return poll;
}

/** the runner of a poll that has work to look at */
export function pollingRunner(poll: PollRow): PollingRunner {
  return { id: poll.id, owner_id: poll.owner_id, repo_id: poll.repo_id, ephemeral: poll.ephemeral, labels: jsonArray(poll.labelsJson) };
}

// ---- listing and deletion --------------------------------------------------

/** the runners of exactly this scope; `all` lists every runner (the instance admin's view) */
export async function listRunners(deps: Deps, scope: ScopeInput = {}, opts: { all?: boolean } = {}): Promise<RunnerInfo[]> {
  const rows = await new RunnerGateway(deps.knex, deps.dialect).listByScope(opts.all ? null : normalizeScope(scope));
  return rows.map((r) => runnerInfo(deps, r));
}

export async function getRunner(deps: Deps, scope: ScopeInput, id: number): Promise<RunnerInfo> {
  const s = normalizeScope(scope);
  const r = await new RunnerGateway(deps.knex, deps.dialect).get(id);
  if (!r || r.owner_id !== s.ownerId || r.repo_id !== s.repoId) throw new NotFound(`runner ${id} not found`);
  return runnerInfo(deps, r);
}

/** soft-deletes a runner of the scope and rewrites its uuid; its credentials stop working at once */
export async function deleteRunner(deps: Deps, scope: ScopeInput, id: number): Promise<void> {
  const s = normalizeScope(scope);
  const gw = new RunnerGateway(deps.knex, deps.dialect);
  const r = await gw.get(id);
  if (!r || r.owner_id !== s.ownerId || r.repo_id !== s.repoId) throw new NotFound(`runner ${id} not found`);
  await gw.softDelete(id, nowMs(deps));
}
