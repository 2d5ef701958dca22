// claim: jobs drained per second by 20 concurrent runner clients (each fetch
// claims, each task is finished with one log line and a success report), on
// SQLite with one instance and on PostgreSQL with two instances in two
// processes. Checks afterwards that no job was assigned twice or left waiting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../lib/db.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';
import { freshDatabaseUrl, stopPostgresCluster, type DbKind } from '../spec/support/databases.js';
import { insertManyJobs, testDeps } from '../spec/support/fixtures.js';
import { RunnerClient } from '../spec/support/runner-client.js';
import { drain, drainOutcome, startInstance } from '../spec/runner/support/drain.js';

/** CPU time of a process so far (Linux /proc), in ms */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const JOBS = Number(process.env.CLAIM_JOBS ?? 500);
const RUNNERS = 20;

async function measure(db: DbKind, instances: number) {
  const url = await freshDatabaseUrl(db);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-bench-logs-'));
  const servers = await Promise.all(Array.from({ length: instances }, () => startInstance(url, logDir)));
  const database = openDatabase(url);
  try {
    await insertManyJobs(database.knex, database.dialect, JOBS);
    const token = await getOrCreateRegistrationToken(testDeps(database.knex, database.dialect), {});
    const clients = await Promise.all(
      Array.from({ length: RUNNERS }, (_, i) => RunnerClient.register(servers[i % instances]!.baseUrl, { token, name: `bench-${i}` })),
    );
    const cpuBefore = servers.map((s) => cpuMs(s.child.pid!));
    const clientBefore = process.cpuUsage();
    const result = await drain(clients, JOBS, 300_000);
    const client = process.cpuUsage(clientBefore);
    const serverCpu = servers.reduce((n, s, i) => n + cpuMs(s.child.pid!) - cpuBefore[i]!, 0);
    const outcome = await drainOutcome(database.knex);
    const figures = {
      db,
      instances,
      runners: RUNNERS,
      jobs: JOBS,
      tasks_per_s: Math.round((result.completed / result.ms) * 1000 * 10) / 10,
      duplicates: outcome.duplicates,
      lost: outcome.lost + (JOBS - outcome.tasks),
    };
    console.log(
      `${db} x${instances}: ${result.completed} tasks in ${result.ms} ms, ${result.fetches} fetches (${result.empty} without a task);` +
        ` CPU per task: instances ${(serverCpu / result.completed).toFixed(2)} ms, runner clients ${((client.user + client.system) / 1000 / result.completed).toFixed(2)} ms`,
      figures,
    );
    return figures;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await database.knex.destroy();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

// CLAIM_DATABASES=sqlite (or postgres) measures one side only, for profiling
const only = process.env.CLAIM_DATABASES?.split(',');
const results = [];
if (!only || only.includes('sqlite')) results.push(await measure('sqlite', 1));
if (!only || only.includes('postgres')) results.push(await measure('postgres', 2));
await stopPostgresCluster();
console.log(JSON.stringify({ bench: 'claim', results }));
