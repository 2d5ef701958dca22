// claim: jobs drained per second by 20 concurrent runner clients, on SQLite
// with one instance and on PostgreSQL with two instances in two processes.
// tasks_per_s is the drain itself: every FetchTask claims and the task stays
// running, so the figure is what the claim path sustains. cycle_tasks_per_s
// is a second drain of as many jobs where each task is also finished (one log
// line and a success report: three calls, the job emitter and the log
// archive per task). Checks afterwards that no job was assigned twice or left
// waiting. Before the clock starts, the same clients drain CLAIM_WARMUP
// jobs (200) the same way: the figure is the steady state of a running forge,
// not the instances' first minutes of compiling their hot path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../lib/db.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';
import { freshDatabaseUrl, stopPostgresCluster, type DbKind } from '../spec/support/databases.js';
import { insertManyJobs, testDeps } from '../spec/support/fixtures.js';
import { RunnerClient } from '../spec/support/runner-client.js';
import { drain, drainOutcome, startInstance } from '../spec/runner/support/drain.js';

/** CPU time of a process so far (Linux /proc), in ms: user and system */
function cpuMs(pid: number): { user: number; system: number } {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 };
}

const JOBS = Number(process.env.CLAIM_JOBS ?? 500);
const WARMUP = Number(process.env.CLAIM_WARMUP ?? 200);
const RUNNERS = 20;

async function drainOnce(db: DbKind, instances: number, finish: boolean) {
  const url = await freshDatabaseUrl(db);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-bench-logs-'));
  const servers = await Promise.all(Array.from({ length: instances }, () => startInstance(url, logDir)));
  const database = openDatabase(url);
  try {
    const token = await getOrCreateRegistrationToken(testDeps(database.knex, database.dialect), {});
    const clients = await Promise.all(
      Array.from({ length: RUNNERS }, (_, i) => RunnerClient.register(servers[i % instances]!.baseUrl, { token, name: `bench-${i}` })),
    );
    if (WARMUP > 0) {
      await insertManyJobs(database.knex, database.dialect, WARMUP);
      const warm = await drain(clients, WARMUP, 300_000, { finish });
      if (warm.completed !== WARMUP) throw new Error(`warm-up drained ${warm.completed} of ${WARMUP} jobs`);
    }
    await insertManyJobs(database.knex, database.dialect, JOBS);
    const cpuBefore = servers.map((s) => cpuMs(s.child.pid!));
    const clientBefore = process.cpuUsage();
    const result = await drain(clients, JOBS, 300_000, { finish });
    const client = process.cpuUsage(clientBefore);
    const serverCpu = servers.reduce(
      (n, s, i) => {
        const now = cpuMs(s.child.pid!);
        return { user: n.user + now.user - cpuBefore[i]!.user, system: n.system + now.system - cpuBefore[i]!.system };
      },
      { user: 0, system: 0 },
    );
    const outcome = await drainOutcome(database.knex);
    const figures = {
      tasks_per_s: Math.round((result.completed / result.ms) * 1000 * 10) / 10,
      duplicates: outcome.duplicates,
      lost: outcome.lost + (WARMUP + JOBS - outcome.tasks),
    };
    console.log(
      `${db} x${instances} ${finish ? 'claimed and finished' : 'claimed'}: ${result.completed} tasks in ${result.ms} ms, ${result.fetches} fetches (${result.empty} without a task);` +
        ` CPU per task: instances ${((serverCpu.user + serverCpu.system) / result.completed).toFixed(2)} ms (system ${(serverCpu.system / result.completed).toFixed(2)}), runner clients ${((client.user + client.system) / 1000 / result.completed).toFixed(2)} ms`,
    );
    return figures;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await database.knex.destroy();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

async function measure(db: DbKind, instances: number) {
  const claimed = await drainOnce(db, instances, false);
  const cycle = process.env.CLAIM_CYCLE === '0' ? undefined : await drainOnce(db, instances, true);
  return {
    db,
    instances,
    runners: RUNNERS,
    jobs: JOBS,
    tasks_per_s: claimed.tasks_per_s,
    duplicates: claimed.duplicates + (cycle?.duplicates ?? 0),
    lost: claimed.lost + (cycle?.lost ?? 0),
    cycle_tasks_per_s: cycle?.tasks_per_s,
  };
}

// CLAIM_CYCLE=0 skips the full-cycle drain; CLAIM_PG_INSTANCES sets the PostgreSQL instance count (2); CLAIM_DATABASES=sqlite (or postgres) measures one side only, for profiling
const only = process.env.CLAIM_DATABASES?.split(',');
const results = [];
if (!only || only.includes('sqlite')) results.push(await measure('sqlite', 1));
if (!only || only.includes('postgres')) results.push(await measure('postgres', Number(process.env.CLAIM_PG_INSTANCES ?? 2)));
await stopPostgresCluster();
console.log(JSON.stringify({ bench: 'claim', results }));
