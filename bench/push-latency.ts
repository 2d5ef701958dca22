// `npm run bench -- push-latency`: time from hooks.push to the jobs being
// claimable (the hook resolves after the runs and jobs committed), for a
// repository with 10 workflows of 3 jobs, on SQLite. The baseline is a bare
// insert of the same rows (10 runs, 30 jobs) in one transaction per run, on the
// same database. Last line: one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionsPlugin } from '../lib/index.js';
import { openDatabase, migrate } from '../lib/db.js';
import { MemoryHost, pushPayload } from '../spec/support/memory-host.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-push-latency-'));
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const host = new MemoryHost();
if (process.env.NO_STATUS) (host as unknown as { createCommitStatus?: unknown }).createCommitStatus = undefined;
const repo = host.repo('bench/app', 1);
const files: Record<string, string> = {};
for (let w = 0; w < 10; w++) {
  files[`.forgejo/workflows/w${w}.yml`] = `name: w${w}
on: push
jobs:
  build:
    runs-on: ubuntu
    steps:
      - run: make build
  test:
    needs: build
    runs-on: ubuntu
    steps:
      - run: make test
  lint:
    runs-on: ubuntu
    steps:
      - run: make lint
`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// the project: hooks.push end to end (detection through the host, planning, one transaction per run)
const plugin = actionsPlugin({ database: `sqlite:${path.join(dir, 'plugin.sqlite')}`, host, cron: false, logger: silent, logDir: path.join(dir, 'logs') });
await plugin.ready;
const shas: string[] = [];
for (let i = 0; i < ITERATIONS + WARMUP; i++) shas.push(host.commit(repo, `refs/heads/b${i}`, files));
const pushTimes: number[] = [];
for (let i = 0; i < ITERATIONS + WARMUP; i++) {
  const started = process.hrtime.bigint();
  const runs = await plugin.hooks.push(pushPayload(repo, `refs/heads/b${i}`, shas[i]!, `commit ${i}`));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (runs.length !== 10) throw new Error(`expected 10 runs, got ${runs.length}`);
  if (i >= WARMUP) pushTimes.push(ms);
}
await plugin.close();

// the baseline: the same rows written directly
const db = openDatabase(`sqlite:${path.join(dir, 'baseline.sqlite')}`);
await migrate(db);
const baseTimes: number[] = [];
const now = Date.now();
for (let i = 0; i < ITERATIONS + WARMUP; i++) {
  const started = process.hrtime.bigint();
  for (let w = 0; w < 10; w++) {
    await db.knex.transaction(async (trx) => {
      const [run] = await trx('action_run')
        .insert({ repo_id: 1, owner_id: 1, run_number: i * 10 + w + 1, workflow_id: `w${w}.yml`, event: 'push', event_payload: '{}', status: 5, created: now, updated: now })
        .returning('id');
      const runId = (run as { id: number }).id;
      await trx('action_run_job').insert(
        ['build', 'test', 'lint'].map((job) => ({ run_id: runId, repo_id: 1, owner_id: 1, name: job, job_id: job, workflow_payload: files[`.forgejo/workflows/w${w}.yml`]!, status: job === 'test' ? 7 : 5, created: now, updated: now })),
      );
    });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (i >= WARMUP) baseTimes.push(ms);
}
await db.knex.destroy();
fs.rmSync(dir, { recursive: true, force: true });

pushTimes.sort((a, b) => a - b);
baseTimes.sort((a, b) => a - b);
const p50 = percentile(pushTimes, 50);
const base50 = percentile(baseTimes, 50);
console.log(`hooks.push of 10 workflows x 3 jobs: p50 ${p50.toFixed(2)} ms, p99 ${percentile(pushTimes, 99).toFixed(2)} ms (${ITERATIONS} pushes)`);
console.log(`bare insert of the same rows:        p50 ${base50.toFixed(2)} ms`);
console.log(
  JSON.stringify({
    bench: 'push-latency',
    p50_ms: Number(p50.toFixed(2)),
    p99_ms: Number(percentile(pushTimes, 99).toFixed(2)),
    baseline_p50_ms: Number(base50.toFixed(2)),
    ratio: Number((base50 / p50).toFixed(3)),
  }),
);
