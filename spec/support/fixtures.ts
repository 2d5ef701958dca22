// Test data written straight through Knex: runs with jobs in a given state,
// for tests of the runner protocol that must not depend on run creation from
// hooks. Also a Deps object over a test database, for calling lib/ directly.
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import { stringify } from 'yaml';
import type { Deps } from '../../lib/deps.js';
import type { Dialect } from '../../lib/db.js';
import { RunGateway, type RunRow } from '../../models/runs.js';
import { JobGateway, type JobRow } from '../../models/jobs.js';
import { bumpTasksVersion } from '../../models/tasks-version.js';
import { silentLogger, TestClock } from './plugin.js';

export interface FixtureJob {
  job_id: string;
  name?: string;
  runs_on?: string[];
  needs?: string[];
  /** default waiting (5) */
  status?: number;
  steps?: Array<Record<string, unknown>>;
  /** the whole single-job workflow document, instead of one built from the fields above */
  payload?: string;
}

export interface FixtureRun {
  repoId?: number;
  ownerId?: number;
  fullName?: string;
  event?: string;
  ref?: string;
  sha?: string;
  concurrencyGroup?: string;
  concurrencyType?: number;
  status?: number;
  jobs: FixtureJob[];
  /** time columns (unix ms); default now */
  now?: number;
}

export function singleJobPayload(job: FixtureJob): string {
  const steps = job.steps ?? [{ name: 'build', run: 'echo build' }, { uses: 'actions/checkout@v4' }];
  return stringify({
    name: 'ci',
    on: 'push',
    jobs: { [job.job_id]: { name: job.name ?? job.job_id, 'runs-on': job.runs_on ?? ['ubuntu-latest'], steps } },
  });
}

/** a run and its jobs; waiting jobs bump the tasks version as the run lifecycle does */
export async function insertRun(knex: Knex, dialect: Dialect, f: FixtureRun): Promise<{ run: RunRow; jobs: JobRow[] }> {
  const repoId = f.repoId ?? 1;
  const ownerId = f.ownerId ?? 1;
  const fullName = f.fullName ?? `owner${ownerId}/repo${repoId}`;
  const now = f.now ?? Date.parse('2026-01-05T10:00:00Z');
  return knex.transaction(async (trx) => {
    const runs = new RunGateway(trx, dialect);
    const runNumber = await runs.nextRunNumber(repoId);
    const run = await runs.insert({
      repo_id: repoId,
      owner_id: ownerId,
      run_number: runNumber,
      title: 'fixture run',
      workflow_id: 'ci.yml',
      workflow_directory: '.forgejo/workflows',
      trigger_user_id: 1,
      trigger_user: 'alice',
      schedule_id: 0,
      ref: f.ref ?? 'refs/heads/main',
      commit_sha: f.sha ?? 'a'.repeat(40),
      event: f.event ?? 'push',
      trigger_event: f.event ?? 'push',
      event_payload: JSON.stringify({ repository: { id: repoId, full_name: fullName, owner: { id: ownerId, login: fullName.split('/')[0] } } }),
      status: f.status ?? 5,
      started: 0,
      stopped: 0,
      previous_duration: 0,
      need_approval: false,
      approved_by: 0,
      is_fork_pull_request: false,
      pull_request_poster_id: 0,
      pull_request_number: 0,
      concurrency_group: f.concurrencyGroup ?? '',
      concurrency_type: f.concurrencyType ?? 0,
      pre_execution_error_code: 0,
      pre_execution_error_details: '',
      delivery_key: null,
      created: now,
      updated: now,
    });
    const jobs = await new JobGateway(trx, dialect).insertMany(
      f.jobs.map((j) => ({
        run_id: run.id,
        repo_id: repoId,
        owner_id: ownerId,
        commit_sha: run.commit_sha,
        is_fork_pull_request: false,
        name: j.name ?? j.job_id,
        job_id: j.job_id,
        attempt: 0,
        workflow_payload: j.payload ?? singleJobPayload(j),
        needs: j.needs ?? [],
        runs_on: j.runs_on ?? ['ubuntu-latest'],
        task_id: 0,
        status: j.status ?? 5,
        concurrency_group: '',
        concurrency_cancel: false,
        started: 0,
        stopped: 0,
        created: now,
        updated: now,
      })),
    );
    if (jobs.some((j) => j.status === 5)) await bumpTasksVersion(trx, dialect, ownerId, repoId, now);
    return { run, jobs };
  });
}

/** many one-job runs at once (drain tests and benchmarks) */
export async function insertManyJobs(knex: Knex, dialect: Dialect, count: number, opts: { repoId?: number; ownerId?: number; runsOn?: string[]; jobsPerRun?: number } = {}): Promise<void> {
  const per = opts.jobsPerRun ?? 1;
  for (let i = 0; i < count; i += per) {
    const n = Math.min(per, count - i);
    await insertRun(knex, dialect, {
      repoId: opts.repoId,
      ownerId: opts.ownerId,
      jobs: Array.from({ length: n }, (_, j) => ({ job_id: `job${j}`, runs_on: opts.runsOn ?? ['ubuntu-latest'], steps: [{ run: 'true' }] })),
    });
  }
}

/** a Deps over a test database, for calling lib/ functions (the `service` API) directly */
export function testDeps(knex: Knex, dialect: Dialect, opts: { clock?: TestClock; logDir?: string } = {}): Deps {
  return {
    db: { knex, dialect, owned: false },
    knex,
    dialect,
    host: { listFiles: async () => null, readFile: async () => null },
    config: {
      publicUrl: 'http://localhost:3000/',
      mountPath: '/actions',
      cron: false,
      timeouts: { zombie: 600_000, endless: 10_800_000, abandoned: 86_400_000, runnerOffline: 60_000 },
      logDir: opts.logDir ?? './data/logs',
      logRetentionDays: 365,
      serverVersion: 'test',
      defaultActionsUrl: 'https://data.forgejo.org',
      instanceId: 'test',
    },
    logger: silentLogger,
    clock: opts.clock ?? new TestClock(),
    events: new EventEmitter(),
  };
}
