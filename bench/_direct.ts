// Developer tool (not a benchmark: `_` files are skipped by bench/run.ts):
// the domain + database cost of a drained task without HTTP
// or Connect: fetchTasks, updateLog, updateTask called in-process.
// `tsx bench/_direct.ts [sqlite|postgres] [jobs]`
import fs from 'node:fs';
import { migrate, openDatabase } from '../lib/db.js';

import { freshDatabaseUrl, stopPostgresCluster, type DbKind } from '../spec/support/databases.js';
import { insertManyJobs, testDeps } from '../spec/support/fixtures.js';
import { authenticatePoll, authenticateRunner, getOrCreateRegistrationToken, registerRunner } from '../lib/runners.js';
import { fetchTasks, updateLog, updateTask } from '../lib/tasks/index.js';
import { tempDir } from '../spec/support/temp.js';

const kind = (process.argv[2] ?? 'sqlite') as DbKind;
const JOBS = Number(process.argv[3] ?? 500);
const url = await freshDatabaseUrl(kind);
const db = openDatabase(url);
await migrate(db);
const logDir = tempDir('direct');
const deps = testDeps(db.knex, db.dialect, { logDir });
deps.config.secretKey = 'direct-bench-secret-key-0123456789';
try {
  await insertManyJobs(db.knex, db.dialect, JOBS);
  const reg = await getOrCreateRegistrationToken(deps, {});
  const { runner, token } = await registerRunner(deps, { token: reg, name: 'r', version: 'v', labels: ['ubuntu-latest'], ephemeral: false });
  const times: Record<string, number> = {};
  const tick = (k: string, t: number) => (times[k] = (times[k] ?? 0) + performance.now() - t);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) {
    let t = performance.now();
    const auth = await authenticatePoll(deps, runner.uuid, token, `k${i}`);
    tick('auth-poll', t);
    t = performance.now();
    const res = await fetchTasks(deps, auth, { tasksVersion: 0, capacity: 1, requestKey: `k${i}` });
    tick('fetch', t);
    const task = res.tasks[0]!;
    const id = Number(task.id);
    t = performance.now();
    const r1 = await authenticateRunner(deps, runner.uuid, token, { active: true });
    tick('auth', t);
    t = performance.now();
    await updateLog(deps, r1, { taskId: id, index: 0, rows: [{ time: Date.now(), content: 'step 0 line 0' }] });
    tick('log', t);
    t = performance.now();
    const now = Date.now();
    await updateTask(deps, r1, { id, result: 1, startedAt: now, stoppedAt: now, steps: [{ id: 0, result: 1, startedAt: now, stoppedAt: now, logIndex: 0, logLength: 1 }] }, {});
    tick('task', t);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ kind, ms_per_task: +(ms / JOBS).toFixed(3), cpu_ms_per_task: +((cpu.user + cpu.system) / 1000 / JOBS).toFixed(3), ms: Object.fromEntries(Object.entries(times).map(([p, v]) => [p, +(v / JOBS).toFixed(3)])) }));
} finally {
  await db.knex.destroy();
  fs.rmSync(logDir, { recursive: true, force: true });
  await stopPostgresCluster();
}
