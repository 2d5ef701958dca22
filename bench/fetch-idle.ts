// fetch-idle: idle FetchTask polls per second (a runner whose cached tasks
// version is current, with a request key as recent runners send) against the
// same server's Connect no-op handler (Ping), in one run, with the database
// queries each idle poll costs counted through knex's 'query' event.
import { openDatabase } from '../lib/db.js';
import { freshDatabaseUrl, stopPostgresCluster, type DbKind } from '../spec/support/databases.js';
import { startTestServer } from '../spec/support/plugin.js';
import { testDeps } from '../spec/support/fixtures.js';
import { RunnerClient } from '../spec/support/runner-client.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';

const DURATION_MS = Number(process.env.FETCH_IDLE_MS ?? 3000);
const CONCURRENCY = 8;
const kind = (process.env.FETCH_IDLE_DB ?? 'sqlite') as DbKind;

async function rate(call: () => Promise<unknown>): Promise<{ perS: number; calls: number }> {
  let calls = 0;
  const end = performance.now() + DURATION_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await call();
        calls++;
      }
    }),
  );
  return { perS: (calls / (performance.now() - start)) * 1000, calls };
}

const db = openDatabase(await freshDatabaseUrl(kind));
const server = await startTestServer(kind, { database: db.knex });
try {
  const token = await getOrCreateRegistrationToken(testDeps(db.knex, db.dialect), {});
  const runner = await RunnerClient.register(server.baseUrl, { token });
  await runner.fetchTask(); // learns the current version: from here on every poll is idle
  const poll = async () => {
    const r = await runner.fetchTask();
    if (r.tasks.length > 0) throw new Error('the idle poll got a task');
  };
  const ping = () => runner.ping('bench');
  // warm up both paths
  for (let i = 0; i < 300; i++) await Promise.all([poll(), ping()]);

  let reads = 0;
  let writes = 0;
  const count = (q: { sql: string }) => (/^\s*(select|with)\b/i.test(q.sql) ? reads++ : writes++);
  const noop1 = await rate(ping);
  db.knex.on('query', count);
  const polls = await rate(poll);
  db.knex.off('query', count);
  const noop2 = await rate(ping);
  const noop = (noop1.perS + noop2.perS) / 2;
  const figures = {
    bench: 'fetch-idle',
    db: kind,
    polls_per_s: Math.round(polls.perS),
    noop_per_s: Math.round(noop),
    ratio: Math.round((polls.perS / noop) * 100) / 100,
    db_reads_per_poll: Math.round((reads / polls.calls) * 100) / 100,
    db_writes_per_poll: Math.round((writes / polls.calls) * 100) / 100,
  };
  console.log(`idle polls: ${polls.calls} in ${DURATION_MS} ms; no-op calls: ${noop1.calls + noop2.calls} in ${2 * DURATION_MS} ms`);
  console.log(JSON.stringify(figures));
} finally {
  await server.close();
  await db.knex.destroy();
  await stopPostgresCluster();
}
