// Fixtures for the secrets/context/token tests: a Deps on a fresh (or given)
// database with keys initialised, and runs, jobs and tasks inserted directly
// (independent of the runner protocol code).
import { EventEmitter } from 'node:events';
import { stringify } from 'yaml';
import { openDatabase, migrate } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import { initKeys } from '../../lib/keys.js';
import { generateToken, hashToken } from '../../lib/tokens.js';
import { Status } from '../../lib/status.js';
import { RunGateway, type RunRow } from '../../models/runs.js';
import { JobGateway, type JobRow } from '../../models/jobs.js';
import type { Executor } from '../../models/base.js';
import { freshDatabaseUrl, type DbKind } from '../support/databases.js';
import { silentLogger, TestClock } from '../support/plugin.js';

export const PUBLIC_URL = 'https://forge.example/';

export interface TestDeps extends Deps {
  clock: TestClock;
  close(): Promise<void>;
}

export async function openDeps(kind: DbKind, opts: { databaseUrl?: string; secretKey?: string; publicUrl?: string; clock?: TestClock; skipMigrations?: boolean } = {}): Promise<TestDeps> {
  const db = openDatabase(opts.databaseUrl ?? (await freshDatabaseUrl(kind)));
  if (!opts.skipMigrations) await migrate(db);
  const deps: TestDeps = {
    db,
    knex: db.knex,
    dialect: db.dialect,
    host: { listFiles: async () => null, readFile: async () => null },
    config: {
      publicUrl: opts.publicUrl ?? PUBLIC_URL,
      mountPath: '/actions',
      cron: false,
      timeouts: { zombie: 1, endless: 1, abandoned: 1, runnerOffline: 1 },
      logDir: '/tmp',
      logRetentionDays: 1,
      serverVersion: '11.0.0+test',
      defaultActionsUrl: 'https://data.forgejo.org',
      instanceId: 'test',
      secretKey: opts.secretKey,
    },
    logger: silentLogger,
    clock: opts.clock ?? new TestClock(),
    events: new EventEmitter(),
    close: () => db.knex.destroy(),
  };
  try {
    await initKeys(deps);
  } catch (e) {
    await db.knex.destroy();
    throw e;
  }
  return deps;
}

export const OWNER_ID = 2;
export const REPO_ID = 63;

export function repository(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: REPO_ID,
    name: 'repo4',
    full_name: 'user5/repo4',
    owner: { id: OWNER_ID, login: 'user5', type: 'User' },
    default_branch: 'main',
    private: false,
    fork: false,
    html_url: `${PUBLIC_URL}user5/repo4`,
    ...overrides,
  };
}

export function pushEvent(): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: 'c2d72f548424103f01ee1dc02889c1e2bff816b0',
    repository: repository(),
    sender: { id: 7, login: 'user1' },
    commits: [],
    total_commits: 0,
  };
}

export function pullRequestEvent(fork: boolean): Record<string, unknown> {
  const forkRepo = repository({ id: 99, full_name: 'mallory/repo4', owner: { id: 9, login: 'mallory' }, fork: true });
  return {
    action: 'opened',
    number: 1,
    pull_request: {
      number: 1,
      title: 'change',
      head: { ref: 'feature-branch', sha: 'head456sha', label: 'feature-branch', repo: fork ? forkRepo : repository() },
      base: { ref: 'main', sha: 'base123sha', label: 'main', repo: repository() },
      merged: false,
      labels: [],
    },
    repository: repository(),
    sender: { id: 7, login: 'user1' },
  };
}

export interface Fixture {
  run: RunRow;
  job: JobRow;
  taskId: number;
  token: string;
}

export interface RunSpec {
  event?: string;
  triggerEvent?: string;
  payload?: Record<string, unknown>;
  ref?: string;
  sha?: string;
  fork?: boolean;
  workflowId?: string;
  runNumber?: number;
}

let runNumbers = 100;

export async function insertRun(k: Executor, deps: Deps, spec: RunSpec = {}): Promise<RunRow> {
  const event = spec.event ?? 'push';
  const [row] = await k('action_run')
    .insert({
      repo_id: REPO_ID,
      owner_id: OWNER_ID,
      run_number: spec.runNumber ?? ++runNumbers,
      title: 'a run',
      workflow_id: spec.workflowId ?? 'artifact.yaml',
      workflow_directory: '.forgejo/workflows',
      trigger_user_id: 7,
      trigger_user: 'user1',
      ref: spec.ref ?? 'refs/heads/main',
      commit_sha: spec.sha ?? 'c2d72f548424103f01ee1dc02889c1e2bff816b0',
      event,
      trigger_event: spec.triggerEvent ?? event,
      event_payload: JSON.stringify(spec.payload ?? pushEvent()),
      status: Status.running,
      is_fork_pull_request: spec.fork ?? false,
      created: deps.clock.now().getTime(),
      updated: deps.clock.now().getTime(),
    })
    .returning('id');
  return (await new RunGateway(k, deps.dialect).get(Number((row as { id: number }).id)))!;
}

export interface JobSpec {
  jobId?: string;
  /** the single-job document; a minimal one when absent */
  doc?: Record<string, unknown>;
  needs?: string[];
  status?: number;
  attempt?: number;
}

export function singleJobDoc(jobId: string, job: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test', on: 'push', jobs: { [jobId]: { name: jobId, 'runs-on': 'ubuntu', steps: [{ run: 'true' }], ...job } }, ...top };
}

export async function insertJob(k: Executor, deps: Deps, run: RunRow, spec: JobSpec = {}): Promise<JobRow> {
  const jobId = spec.jobId ?? 'build';
  const [row] = await k('action_run_job')
    .insert({
      run_id: run.id,
      repo_id: run.repo_id,
      owner_id: run.owner_id,
      commit_sha: run.commit_sha,
      is_fork_pull_request: run.is_fork_pull_request,
      name: jobId,
      job_id: jobId,
      attempt: spec.attempt ?? 1,
      workflow_payload: stringify(spec.doc ?? singleJobDoc(jobId)),
      needs: JSON.stringify(spec.needs ?? []),
      runs_on: JSON.stringify(['ubuntu']),
      status: spec.status ?? Status.running,
      created: deps.clock.now().getTime(),
      updated: deps.clock.now().getTime(),
    })
    .returning('id');
  return (await new JobGateway(k, deps.dialect).get(Number((row as { id: number }).id)))!;
}

export async function insertTask(k: Executor, job: JobRow, opts: { status?: number; token?: string } = {}): Promise<{ taskId: number; token: string }> {
  const token = opts.token ?? generateToken();
  const [row] = await k('action_task')
    .insert({
      job_id: job.id,
      attempt: job.attempt,
      runner_id: 1,
      status: opts.status ?? Status.running,
      repo_id: job.repo_id,
      owner_id: job.owner_id,
      commit_sha: job.commit_sha,
      is_fork_pull_request: job.is_fork_pull_request,
      token_hash: hashToken(token),
    })
    .returning('id');
  const taskId = Number((row as { id: number }).id);
  await k('action_run_job').where({ id: job.id }).update({ task_id: taskId });
  return { taskId, token };
}

/** a run, one job and its running task */
export async function fixture(deps: Deps, run: RunSpec = {}, job: JobSpec = {}): Promise<Fixture> {
  const r = await insertRun(deps.knex, deps, run);
  const j = await insertJob(deps.knex, deps, r, job);
  const t = await insertTask(deps.knex, j);
  return { run: r, job: { ...j, task_id: t.taskId }, ...t };
}
