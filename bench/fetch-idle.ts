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

const DURATION_MS = Number(process.env.FETCH_IDLE_MS ?? 1000);
const ROUNDS = 7;
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
  // the same call options as the poll (RunnerClient.fetchTask sets a 30 s timeout, as forgejo-runner does):
  // this process is also the client, and a client-side timeout costs an abort signal per call
  const ping = () => runner.pingRpc.ping({ data: 'bench' }, { timeoutMs: 30_000 });
  // warm up both paths
  for (let i = 0; i < 300; i++) await Promise.all([poll(), ping()]);

  let reads = 0;
  let writes = 0;
  const count = (q: { sql: string }) => (/^\s*(select|with)\b/i.test(q.sql) ? reads++ : writes++);
  // alternating short rounds, and the median of the per-round ratios: this machine's speed drifts
  // (other processes, CPU frequency), and a drift between two long phases would show up as a ratio
  const rounds: Array<{ polls: { perS: number; calls: number }; noop: { perS: number; calls: number } }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const noop = await rate(ping);
    db.knex.on('query', count);
    const polls = await rate(poll);
    db.knex.off('query', count);
    rounds.push({ polls, noop });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const pollCalls = rounds.reduce((n, r) => n + r.polls.calls, 0);
  const figures = {
    bench: 'fetch-idle',
    db: kind,
    polls_per_s: Math.round(median(rounds.map((r) => r.polls.perS))),
    noop_per_s: Math.round(median(rounds.map((r) => r.noop.perS))),
    ratio: Math.round(median(rounds.map((r) => r.polls.perS / r.noop.perS)) * 100) / 100,
    db_reads_per_poll: Math.round((reads / pollCalls) * 100) / 100,
    db_writes_per_poll: Math.round((writes / pollCalls) * 100) / 100,
  };
  console.log(`${ROUNDS} rounds of ${DURATION_MS} ms each: idle polls ${rounds.map((r) => r.polls.calls).join(', ')}; no-op calls ${rounds.map((r) => r.noop.calls).join(', ')}`);
  console.log(JSON.stringify(figures));
} finally {
  await server.close();
  await db.knex.destroy();
  await stopPostgresCluster();
}
