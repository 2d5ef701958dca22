// Developer tool (not a benchmark: `_` files are skipped by bench/run.ts):
// queries per drained task on one in-process server, per RPC, with one client.
// `tsx bench/_count.ts [sqlite|postgres] [jobs]`
import { openDatabase } from '../lib/db.js';
import { freshDatabaseUrl, stopPostgresCluster, type DbKind } from '../spec/support/databases.js';
import { startTestServer } from '../spec/support/plugin.js';
import { insertManyJobs, testDeps } from '../spec/support/fixtures.js';
import { RunnerClient } from '../spec/support/runner-client.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';

const kind = (process.argv[2] ?? 'sqlite') as DbKind;
const JOBS = Number(process.argv[3] ?? 50);
const url = await freshDatabaseUrl(kind);
const db = openDatabase(url);
const server = await startTestServer(kind, { database: db.knex });
try {
  await insertManyJobs(db.knex, db.dialect, JOBS);
  const token = await getOrCreateRegistrationToken(testDeps(db.knex, db.dialect), {});
  const c = await RunnerClient.register(server.baseUrl, { token });
  const counts: Record<string, number> = {};
  let phase = 'fetch';
  const seen: Record<string, Record<string, number>> = {};
  const started = new Map<string, [string, number]>();
  const qtime: Record<string, number> = {};
  const onResp = (_r: unknown, q: { __knexQueryUid: string }) => {
    const st = started.get(q.__knexQueryUid);
    if (st) qtime[st[0]] = (qtime[st[0]] ?? 0) + performance.now() - st[1];
  };
  const onQuery = (q: { sql: string; __knexQueryUid: string }) => {
    started.set(q.__knexQueryUid, [phase + ' ' + q.sql.replace(/\s+/g, ' ').slice(0, 100), performance.now()]);
    counts[phase] = (counts[phase] ?? 0) + 1;
    const key = q.sql.replace(/\s+/g, ' ').slice(0, 110);
    (seen[phase] ??= {})[key] = ((seen[phase] ??= {})[key] ?? 0) + 1;
  };
  const pk = db.knex;
  pk.on('query', onQuery);
  pk.on('query-response', onResp);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let done = 0;
  const times: Record<string, number> = {};
  while (done < JOBS) {
    phase = 'fetch';
    let t = performance.now();
    const { tasks } = await c.fetchTask();
    times.fetch = (times.fetch ?? 0) + performance.now() - t;
    if (tasks.length === 0) continue;
    for (const task of tasks) {
      const rep = c.reporter(task);
      for (let i = 0; i < rep.stepCount; i++) {
        rep.startStep(i);
        rep.log(`step ${i} line 0`);
        rep.endStep(i, 1);
      }
      rep.result = 1;
      rep.stoppedAt = Date.now();
      phase = 'log';
      t = performance.now();
      await rep.sendLogs(true);
      times.log = (times.log ?? 0) + performance.now() - t;
      phase = 'task';
      t = performance.now();
      await rep.sendState();
      times.task = (times.task ?? 0) + performance.now() - t;
      done++;
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  pk.off('query', onQuery);
  const per = Object.fromEntries(Object.entries(counts).map(([p, n]) => [p, n / JOBS]));
  const total = Object.values(counts).reduce((a, b) => a + b, 0) / JOBS;
  if (process.env.VERBOSE) for (const [p, m] of Object.entries(seen)) { console.log(`--- ${p}`); for (const [s, n] of Object.entries(m)) console.log((n / JOBS).toFixed(2), s); }
  if (process.env.QTIME) for (const [q, v] of Object.entries(qtime).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / JOBS).toFixed(3), q);
  console.log(JSON.stringify({ kind, per_task: per, total, ms_per_task: +(ms / JOBS).toFixed(2), cpu_ms_per_task: +((cpu.user + cpu.system) / 1000 / JOBS).toFixed(2), ms: Object.fromEntries(Object.entries(times).map(([p, v]) => [p, +(v / JOBS).toFixed(2)])) }));
} finally {
  await server.close();
  await db.knex.destroy();
  await stopPostgresCluster();
}
