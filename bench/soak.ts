// soak: one instance (its own process) under a steady load — 50 runners
// polling like forgejo-runner and one new job a second — for SOAK_MINUTES
// (10). The instance's RSS, read after a full GC (the child runs with
// --expose-gc, so the figure is what stays retained, not when the collector
// last ran), after the warm-up (the first minute, or a tenth of a shorter
// soak) and at the end must not grow by more than 10%.
// Last line: {"soak":"10min","rss_start_mb":..,"rss_end_mb":..,"growth":..}; exit 1 when growth > 10%.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../lib/db.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';
import { RunnerClient } from '../lib/client/runner-client.js';
import { testDeps } from '../spec/support/fixtures.js';
import { startPostgres } from '../spec/support/postgres.js';
import { InstanceProcess, freePort, post, sleep } from './support/cluster.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RUNNERS = Number(process.env.SOAK_RUNNERS ?? 50);
const POLL_MS = 1000;
const DURATION = MINUTES * 60_000;
const WARMUP = Math.min(60_000, DURATION / 10);
const PUSHES = Math.ceil(DURATION / 1000) + 10;

const started = Date.now();
const log = (msg: string) => console.error(`[soak ${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${msg}`);
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function main(): Promise<number> {
  const pg = await startPostgres();
  const url = await pg.createDatabase('soak');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-soak-logs-'));
  const db = openDatabase(url);
  const inst = new InstanceProcess({ url, port: await freePort(), logDir, kind: 'soak', pushes: PUSHES, name: 'soak' });
  let stopping = false;
  try {
    await inst.start(0, ['--expose-gc']);
    const token = await getOrCreateRegistrationToken(testDeps(db.knex, db.dialect, { logDir }), {});
    const clients = await Promise.all(Array.from({ length: RUNNERS }, (_, i) => RunnerClient.register(inst.baseUrl, { token, name: `soak-${i}`, labels: ['ubuntu-latest'] })));
    let completed = 0;
    let errors = 0;
    const runners = clients.map(async (c, i) => {
      await sleep((i * POLL_MS) / RUNNERS); // spread the polls over the interval, as independent runners are
      while (!stopping) {
        try {
          const { tasks } = await c.fetchTask();
          for (const t of tasks) {
            await c.runTask(t, { lines: 10 });
            completed++;
          }
          if (tasks.length === 0) await sleep(POLL_MS);
        } catch {
          errors++;
          await sleep(POLL_MS);
        }
      }
    });
    const rss = async () => (await post<{ rss: number }>(inst.origin, '/chaos/rss')).rss;
    let pushed = 0;
    let rssStart = 0;
    const samples: number[] = [];
    for (let seq = 0; Date.now() - started < DURATION + 10_000 && seq < PUSHES; seq++) {
      const tick = Date.now();
      await post(inst.origin, '/chaos/push', { seq });
      pushed++;
      if (!rssStart && Date.now() - started >= WARMUP) {
        rssStart = await rss();
        log(`after warm-up: rss ${mb(rssStart)} MB`);
      }
      if (seq % 30 === 29) {
        const r = await rss();
        samples.push(r);
        const pending = Number(((await db.knex('action_run_job').whereIn('status', [5, 6, 7]).count('* as n')) as Array<{ n: string }>)[0]!.n);
        log(`pushed ${pushed}, completed ${completed}, pending ${pending}, errors ${errors}, rss ${mb(r)} MB`);
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    const rssEnd = await rss();
    stopping = true;
    await Promise.all(runners);
    const growth = Math.round(((rssEnd - rssStart) / rssStart) * 1000) / 1000;
    console.log(JSON.stringify({ soak: `${MINUTES}min`, rss_start_mb: mb(rssStart), rss_end_mb: mb(rssEnd), growth, runners: RUNNERS, jobs: pushed, completed, errors, rss_max_mb: mb(Math.max(rssStart, rssEnd, ...samples)) }));
    return growth <= 0.1 ? 0 : 1;
  } finally {
    stopping = true;
    await inst.stop();
    await db.knex.destroy();
    pg.stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
