// chaos: several plugin instances in separate processes on one PostgreSQL,
// runner clients behaving like forgejo-runner (request keys, failover to
// another instance), lost FetchTask/UpdateTask/UpdateLog answers, and one
// instance SIGKILLed and restarted every few seconds. At the end the database
// must show every job finished by exactly one task, every log complete with no
// duplicated line, no run left running and every schedule occurrence fired
// once. Sizes come from the environment so CI can run a short pass:
//   CHAOS_JOBS (2000), CHAOS_RUNNERS (50), CHAOS_INSTANCES (3),
//   CHAOS_KILL_EVERY_MS (15000), CHAOS_SECONDS (deadline, 480),
//   CHAOS_DROP (0.3), CHAOS_LOG_LINES (20), CHAOS_SCHEDULE_TICKS (10).
// Last line: {"chaos":"instances",...}; the exit code is 1 when any defect count is not 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../lib/db.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';
import { readTaskLog } from '../lib/logs/index.js';
import { Result, RunnerClient, type Task } from '../lib/client/runner-client.js';
import { Code, ConnectError } from '@connectrpc/connect';
import { testDeps } from '../spec/support/fixtures.js';
import { startPostgres } from '../spec/support/postgres.js';
import { JOBS_PER_PUSH, SCHEDULE_WORKFLOWS } from './support/host.js';
import { InstanceProcess, failoverClient, failoverStats, freePort, post, postAny, sleep } from './support/cluster.js';

const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const JOBS = env('CHAOS_JOBS', 2000);
const RUNNERS = env('CHAOS_RUNNERS', 50);
const INSTANCES = env('CHAOS_INSTANCES', 3);
const KILL_EVERY_MS = env('CHAOS_KILL_EVERY_MS', 15_000);
const SECONDS = env('CHAOS_SECONDS', 480);
const DROP = env('CHAOS_DROP', 0.3);
const LINES = env('CHAOS_LOG_LINES', 20);
const TICKS = env('CHAOS_SCHEDULE_TICKS', 10);
const TICK_EVERY_MS = 6_000;
const PUSHES = Math.ceil(JOBS / JOBS_PER_PUSH.chaos);
const EXPECTED_JOBS = PUSHES * JOBS_PER_PUSH.chaos + TICKS * SCHEDULE_WORKFLOWS;
const MINUTE = 60_000;

const started = Date.now();
const elapsed = () => Math.round((Date.now() - started) / 1000);
const log = (msg: string) => console.error(`[chaos ${String(elapsed()).padStart(4)}s] ${msg}`);
const stats = { pushed: 0, ticks: 0, kills: 0, tasks: 0, dropped: { fetch: 0, update: 0, log: 0 }, reportErrors: 0, cancelled: 0 };
const drop = (kind: 'fetch' | 'update' | 'log') => {
  if (Math.random() >= DROP) return false;
  stats.dropped[kind]++;
  return true;
};

/** repeats a runner call until it gets an answer, as the runner's reporter does */
async function persist<T>(what: string, call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (e) {
      // an answer from the server (not a transient failure) does not change by asking again
      const final = e instanceof ConnectError && [Code.AlreadyExists, Code.NotFound, Code.InvalidArgument, Code.PermissionDenied, Code.Unauthenticated, Code.FailedPrecondition].includes(e.code);
      if (i >= 40 || final) {
        stats.reportErrors++;
        log(`${what} failed for good: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      await sleep(Math.min(50 * 2 ** i, 1000));
    }
  }
}

/** a task: LINES numbered lines spread over the steps, a mid-way report, a final report; answers lost at random */
async function work(c: RunnerClient, task: Task): Promise<void> {
  const rep = c.reporter(task);
  const steps = Math.max(rep.stepCount, 1);
  let step = -1;
  const midReport = async (): Promise<boolean> => {
    if (drop('log')) await c.rpc.updateLog({ taskId: task.id, index: BigInt(rep.logOffset), rows: rep.rows.map((r) => ({ time: { seconds: BigInt(Math.floor(r.time / 1000)), nanos: (r.time % 1000) * 1e6 }, content: r.content })), noMore: false }, { headers: c.headers() }).catch(() => {});
    // a task cancelled on the server refuses more logs; the state report below says so
    await persist('UpdateLog', () => rep.sendLogs()).catch(() => {});
    if (drop('update')) await c.rpc.updateTask({ state: rep.state(), outputs: {} }, { headers: c.headers() }).catch(() => {});
    await persist('UpdateTask', () => rep.sendState());
    return rep.cancelled;
  };
  for (let k = 0; k < LINES; k++) {
    const s = Math.min(steps - 1, Math.floor((k * steps) / LINES));
    if (s !== step && rep.stepCount > 0) {
      if (step >= 0) rep.endStep(step, Result.SUCCESS);
      rep.startStep(s);
      step = s;
    }
    rep.log(`chaos line ${k}`);
    if (k === Math.floor(LINES / 2) && (await midReport())) {
      // the server ended the task: like the runner, stop working on it
      stats.cancelled++;
      c.inProgress.delete(task.id);
      return;
    }
  }
  if (step >= 0) rep.endStep(step, Result.SUCCESS);
  if (drop('update')) {
    // the final UpdateTask is answered but the answer is lost: the runner reports again
    await persist('UpdateLog', () => rep.sendLogs(true));
    rep.result = Result.SUCCESS;
    rep.stoppedAt = Date.now();
    await c.rpc.updateTask({ state: rep.state(), outputs: {} }, { headers: c.headers() }).catch(() => {});
  }
  await persist('close', () => rep.close(Result.SUCCESS));
}

async function runner(c: RunnerClient, finished: () => boolean): Promise<void> {
  while (!finished()) {
    let tasks: Task[];
    try {
      const dropped = drop('fetch');
      tasks = (await c.fetchTask({ dropResponse: dropped })).tasks;
      if (dropped) continue; // the runner retries with the same request key at once
    } catch {
      await sleep(200);
      continue;
    }
    if (tasks.length === 0) {
      await sleep(250);
      continue;
    }
    for (const t of tasks) {
      try {
        await work(c, t);
        stats.tasks++;
      } catch {
        /* counted in persist; the database check will show the job */
      }
    }
  }
}

const n = async (q: Knex.QueryBuilder | Knex.Raw) => {
  const rows = (await q) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
};

async function main(): Promise<number> {
  log(`${PUSHES} pushes (${EXPECTED_JOBS} jobs), ${RUNNERS} runners, ${INSTANCES} instances, a kill every ${KILL_EVERY_MS} ms, ${Math.round(DROP * 100)}% answers dropped`);
  const pg = await startPostgres();
  const url = await pg.createDatabase('chaos');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-chaos-logs-'));
  const db = openDatabase(url);
  let offset = 0;
  const instances: InstanceProcess[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    instances.push(new InstanceProcess({ url, port: await freePort(), logDir, kind: 'chaos', pushes: PUSHES, name: `i${i}` }));
  }
  let finished = false;
  const done = () => finished;
  try {
    // the first instance migrates alone; the others start on a migrated database
    await instances[0]!.start(offset);
    await Promise.all(instances.slice(1).map((i) => i.start(offset)));
    log('instances up');
    const deps = Object.assign(testDeps(db.knex, db.dialect, { logDir }), {});
    const token = await getOrCreateRegistrationToken(deps, {});
    const registered = await Promise.all(Array.from({ length: RUNNERS }, (_, i) => RunnerClient.register(instances[i % INSTANCES]!.baseUrl, { token, name: `chaos-${i}`, labels: ['ubuntu-latest'] })));
    const baseUrls = instances.map((i) => i.baseUrl);
    const clients = registered.map((r, i) => failoverClient(baseUrls, i, r.creds));
    await postAny(instances, 0, '/chaos/push', { seq: -1 }); // registers the schedules
    log(`${RUNNERS} runners registered, schedules registered`);

    const deadline = started + SECONDS * 1000;
    const runners = clients.map((c) => runner(c, done));

    const pushing = (async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          for (let seq = next++; seq < PUSHES; seq = next++) {
            await postAny(instances, seq + w, '/chaos/push', { seq }, deadline);
            stats.pushed++;
          }
        }),
      );
    })();

    const ticking = (async () => {
      for (let k = 0; k < TICKS && !finished; k++) {
        await sleep(TICK_EVERY_MS);
        // one minute slot per tick, landing half-way into the minute so no pass of this tick crosses another slot
        const virtual = Date.now() + offset;
        offset = Math.floor(virtual / MINUTE) * MINUTE + MINUTE + MINUTE / 2 - Date.now();
        for (let fired = false; !fired && Date.now() < deadline; ) {
          const passes = await Promise.allSettled(
            instances.filter((i) => i.up).map(async (i) => {
              await post(i.origin, '/chaos/clock', { offset });
              return post(i.origin, '/chaos/schedules');
            }),
          );
          fired = passes.some((p) => p.status === 'fulfilled');
          if (!fired) await sleep(200);
        }
        stats.ticks++;
      }
    })();

    const killing = (async () => {
      while (!finished) {
        await sleep(KILL_EVERY_MS);
        if (finished) break;
        const victim = instances[stats.kills % INSTANCES]!;
        await victim.kill();
        stats.kills++;
        for (;;) {
          try {
            await victim.start(offset);
            break;
          } catch (e) {
            log(`restart of ${victim.spec.name} failed, again: ${String(e)}`);
            await sleep(500);
          }
        }
      }
    })();

    // progress, and the end condition: everything pushed and ticked, and no job left to run
    for (;;) {
      await sleep(3000);
      const total = await n(db.knex('action_run_job').count('* as n'));
      const pending = await n(db.knex('action_run_job').whereIn('status', [0, 5, 6, 7]).count('* as n'));
      log(`pushed ${stats.pushed}/${PUSHES}, ticks ${stats.ticks}/${TICKS}, jobs ${total - pending}/${total} done, kills ${stats.kills}, failovers ${failoverStats.failovers}, dropped ${JSON.stringify(stats.dropped)}`);
      if (stats.pushed === PUSHES && stats.ticks === TICKS && pending === 0) break;
      if (Date.now() > deadline) {
        log('deadline reached with work left');
        break;
      }
    }
    finished = true;
    await Promise.race([Promise.all([...runners, pushing.catch(() => {}), ticking, killing]), sleep(60_000)]);
    await Promise.all(instances.map((i) => i.stop()));
    log('checking');
    return await check(db.knex, deps);
  } finally {
    finished = true;
    await Promise.all(instances.map((i) => i.stop()));
    await db.knex.destroy();
    pg.stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

async function check(knex: Knex, deps: ReturnType<typeof testDeps>): Promise<number> {
  const jobs = (await knex('action_run_job').select('id', 'run_id', 'status', 'task_id')) as Array<{ id: number; run_id: number; status: number; task_id: number }>;
  const tasks = (await knex('action_task').select('id', 'job_id', 'status')) as Array<{ id: number; job_id: number; status: number }>;
  const tasksOf = new Map<number, number[]>();
  for (const t of tasks) tasksOf.set(t.job_id, [...(tasksOf.get(t.job_id) ?? []), t.id]);

  let lost = Math.max(0, EXPECTED_JOBS - jobs.length);
  let duplicated = Math.max(0, jobs.length - EXPECTED_JOBS);
  let notSuccess = 0;
  for (const j of jobs) {
    const ts = tasksOf.get(j.id) ?? [];
    if (ts.length > 1) duplicated += ts.length - 1;
    if (j.status === 1 && ts.length === 0) lost++; // finished without ever being assigned
    if (![1, 2, 3, 4].includes(j.status)) lost++; // never finished
    if (j.status !== 1) notSuccess++;
  }
  // no delivery and no schedule occurrence created its runs twice
  const runs = (await knex('action_run').select('id', 'repo_id', 'commit_sha', 'workflow_id', 'schedule_id', 'status')) as Array<{ repo_id: number; commit_sha: string; workflow_id: string; schedule_id: number; status: number }>;
  const perKey = new Map<string, number>();
  for (const r of runs) {
    const key = r.schedule_id > 0 ? `schedule ${r.workflow_id}` : `${r.commit_sha} ${r.workflow_id}`;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  let scheduleRuns = 0;
  for (const [key, count] of perKey) {
    const expected = key.startsWith('schedule ') ? TICKS : 1;
    if (key.startsWith('schedule ')) scheduleRuns += count;
    if (count > expected) duplicated += count - expected;
    if (count < expected) lost += expected - count;
  }
  const scheduleWorkflowsSeen = [...perKey.keys()].filter((k) => k.startsWith('schedule ')).length;
  lost += (SCHEDULE_WORKFLOWS - scheduleWorkflowsSeen) * TICKS;
  const stuckRuns = runs.filter((r) => ![1, 2, 3, 4].includes(r.status)).length;

  let missing = 0;
  let dupLines = 0;
  for (const j of jobs) {
    const ts = tasksOf.get(j.id) ?? [];
    if (j.status !== 1 || ts.length !== 1) continue;
    const seen = new Map<number, number>();
    for (const l of await readTaskLog(deps, ts[0]!)) {
      const m = /^chaos line (\d+)$/.exec(l.content);
      if (m) seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
    }
    for (let k = 0; k < LINES; k++) {
      const c = seen.get(k) ?? 0;
      if (c === 0) missing++;
      if (c > 1) dupLines += c - 1;
    }
  }
  for (const j of jobs.filter((x) => x.status !== 1)) {
    const run = (await knex('action_run').where({ id: j.run_id }).first('status', 'schedule_id', 'workflow_id', 'concurrency_group')) as Record<string, unknown>;
    log(`not success: job ${j.id} status ${j.status} tasks ${JSON.stringify(tasksOf.get(j.id) ?? [])} run ${JSON.stringify(run)}`);
  }
  log(`jobs ${jobs.length} (expected ${EXPECTED_JOBS}), tasks ${tasks.length}, not success ${notSuccess}, schedule runs ${scheduleRuns}/${TICKS * SCHEDULE_WORKFLOWS}, report errors ${stats.reportErrors}`);
  const figures = {
    chaos: 'instances',
    jobs: jobs.length,
    lost,
    duplicated,
    stuck_runs: stuckRuns,
    log_lines_missing: missing,
    log_lines_duplicated: dupLines,
    seconds: elapsed(),
    instances: INSTANCES,
    runners: RUNNERS,
    kills: stats.kills,
    failovers: failoverStats.failovers,
    dropped: stats.dropped,
    schedule_runs: scheduleRuns,
    not_success: notSuccess,
    cancelled_mid_task: stats.cancelled,
  };
  console.log(JSON.stringify(figures));
  return lost + duplicated + stuckRuns + missing + dupLines === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
