// The fuzz target: one plugin in its own process (so a crash is a child exit
// the parent sees), over gitHost and a real bare repository, on the database
// named by argv[2]. Besides the plugin at /actions it serves a few /fuzz/*
// routes for the driver: hooks over HTTP (the hooks are a JS API, so the
// driver needs a transport to reach them), a database fingerprint, and fresh
// work (a push) when the fuzzed runner has run out of tasks. Prints
// {"port":N,...} once it listens; exits when stdin closes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { actionsPlugin, gitHost, type Repository } from '../../lib/index.js';
import { isActionsError } from '../../lib/errors.js';
import { openDatabase } from '../../lib/db.js';
import type { Hooks } from '../../lib/hooks.js';

const url = process.argv[2]!;
const root = process.argv[3]!;

// workflow_dispatch with typed inputs so that dispatch fuzzing reaches input validation
export const fuzzWorkflow = `name: fuzz
on:
  push:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [low, high]
        required: true
      count:
        type: number
jobs:
  build:
    runs-on: host
    strategy:
      matrix:
        n: [1, 2, 3]
    steps:
      - name: one
        run: echo one
      - name: two
        run: echo "\${{ secrets.FUZZ_SECRET }}"
  after:
    needs: build
    runs-on: host
    steps:
      - run: echo done
`;

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 'Fuzz', GIT_AUTHOR_EMAIL: 'fuzz@example.com', GIT_COMMITTER_NAME: 'Fuzz', GIT_COMMITTER_EMAIL: 'fuzz@example.com' },
  }).trim();
}

/** one more commit on main of <root>/fuzz/repo.git; returns its sha and the previous one */
function pushCommit(n: number): { before: string; after: string } {
  const bare = path.join(root, 'fuzz', 'repo.git');
  if (!fs.existsSync(bare)) {
    fs.mkdirSync(bare, { recursive: true });
    git(bare, ['init', '--bare', '--initial-branch=main', '-q']);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-fuzz-work-'));
  try {
    git(work, ['init', '-q', '--initial-branch=main']);
    git(work, ['remote', 'add', 'origin', bare]);
    let before = '0'.repeat(40);
    try {
      git(work, ['fetch', '-q', 'origin', 'main']);
      git(work, ['checkout', '-q', '-B', 'main', 'FETCH_HEAD']);
      before = git(work, ['rev-parse', 'HEAD']);
    } catch {
      /* the first commit */
    }
    fs.mkdirSync(path.join(work, '.forgejo/workflows'), { recursive: true });
    fs.writeFileSync(path.join(work, '.forgejo/workflows/ci.yml'), fuzzWorkflow);
    fs.writeFileSync(path.join(work, 'counter'), `${n}\n`);
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', `change ${n}`]);
    git(work, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
    return { before, after: git(work, ['rev-parse', 'HEAD']) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export const fuzzRepo: Repository = { id: 41, name: 'repo', full_name: 'fuzz/repo', owner: { id: 4, login: 'fuzz' }, default_branch: 'main' };
const otherRepo: Repository = { id: 42, name: 'other', full_name: 'rival/other', owner: { id: 9, login: 'rival' }, default_branch: 'main' };

// logger errors go to stderr as one JSON line each: the driver shows them next to untyped answers
const emit = (level: string) => (obj: unknown, msg?: string) => {
  const o = obj as { err?: { message?: string; stack?: string } } | undefined;
  process.stderr.write(`LOG ${JSON.stringify({ level, msg, err: o?.err?.message, stack: o?.err?.stack?.split('\n').slice(0, 4).join(' | ') })}\n`);
};
const noop = () => {};
const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: emit('error') };

// one Knex for the plugin and the fingerprint: a second SQLite connection would only add lock contention
const db = openDatabase(url);
const knex = db.knex;
const repos = new Map([[fuzzRepo.full_name, fuzzRepo], [otherRepo.full_name, otherRepo]]);
const plugin = actionsPlugin({
  database: knex,
  cron: false,
  logger,
  logDir: path.join(root, 'logs'),
  host: gitHost({ root, extend: { getRepository: async (n) => repos.get(n) ?? null } }),
});
await plugin.ready;

let pushes = 0;
let head = '';
async function push(): Promise<number> {
  const { before, after } = pushCommit(++pushes);
  head = after;
  const runs = await plugin.hooks.push({
    ref: 'refs/heads/main',
    before,
    after,
    repository: fuzzRepo,
    sender: { id: 4, login: 'fuzz' },
    head_commit: { id: after, message: `change ${pushes}`, added: [], removed: [], modified: ['counter'] },
    commits: [],
  });
  return runs.length;
}
await push();
// the other repository is known to the plugin (an event was seen) but has no workflow
await plugin.hooks.fork({ repository: otherRepo, sender: { id: 9, login: 'rival' }, forkee: otherRepo }).catch(() => []);
await plugin.service.secrets.set({ repoId: fuzzRepo.id }, 'FUZZ_SECRET', 'fuzz-secret-value-3f9a');
const registrationToken = await plugin.service.runners.registrationToken({ repoId: fuzzRepo.id });

// ---- database fingerprint -------------------------------------------------

/** heartbeat columns: authenticating a runner may write them even when the call is then refused (as Forgejo does) */
const volatile = new Set(['last_online', 'last_active']);
/** large, write-once columns: their row counts and the other columns say enough */
const skipped = new Set(['workflow_payload', 'event_payload', 'content']);
const hashed = ['action_run', 'action_run_job', 'action_task', 'action_task_step', 'action_task_output', 'action_runner', 'action_runner_token', 'action_secret', 'action_variable', 'action_repository', 'action_tasks_version', 'action_trusted_user', 'action_disabled_workflow', 'action_schedule'];
const tableList = (await knex.raw(
  knex.client.config.client === 'pg' ? "select tablename as name from pg_tables where schemaname = 'public' and tablename like 'action\\_%'" : "select name from sqlite_master where type = 'table' and name like 'action\\_%' escape '\\'",
)) as { rows?: Array<{ name: string }> } | Array<{ name: string }>;
const tables = (Array.isArray(tableList) ? tableList : tableList.rows!).map((r) => r.name).sort();
const columns = new Map<string, string[]>();
for (const t of hashed) if (tables.includes(t)) columns.set(t, Object.keys(await knex(t).columnInfo()).filter((c) => !volatile.has(c) && !skipped.has(c)));

async function fingerprint(): Promise<{ digest: string; counts: Record<string, number>; tables: Record<string, string> }> {
  const h = createHash('sha256');
  const counts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  for (const t of tables) {
    const row = (await knex(t).count({ c: '*' }).first()) as { c: number | string };
    counts[t] = Number(row.c);
    h.update(`${t}:${counts[t]};`);
  }
  for (const [t, cols] of columns) {
    const rows = await knex(t).select(cols).orderBy(cols.includes('id') ? 'id' : cols[0]!);
    digests[t] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    h.update(`${t}=${digests[t]};`);
  }
  const logMax = (await knex('action_log_row').max({ m: 'id' }).first()) as { m: number | null } | undefined;
  h.update(`logmax:${logMax?.m ?? 0}`);
  return { digest: h.digest('hex'), counts, tables: digests };
}

// ---- the driver's routes ---------------------------------------------------

const hookNames = ['push', 'create', 'delete', 'pullRequest', 'pullRequestReview', 'pullRequestComment', 'issues', 'issueComment', 'release', 'fork', 'watch', 'wiki', 'repositoryUpdated'] as const;
const stackLike = /\n\s+at |\.ts:\d+|node_modules/;

const app = express();
app.get('/fuzz/snapshot', async (_req, res) => {
  res.json(await fingerprint());
});
app.get('/fuzz/state', async (req, res) => {
  const uuid = String(req.query.uuid ?? '');
  const runner = (await knex('action_runner').where({ uuid, deleted: 0 }).first('id')) as { id: number } | undefined;
  const running = runner ? ((await knex('action_task').where({ runner_id: runner.id, status: 6 }).select('id', 'log_length')) as Array<{ id: number; log_length: number }>) : [];
  const waiting = Number(((await knex('action_run_job').where({ status: 5 }).count({ c: '*' }).first()) as { c: number | string }).c);
  res.json({ alive: runner !== undefined, running: running.map((r) => ({ id: Number(r.id), logLength: Number(r.log_length) })), waiting, head });
});
app.post('/fuzz/push', async (_req, res) => {
  res.json({ runs: await push() });
});
app.post('/fuzz/hook/:name', express.raw({ type: () => true, limit: '64mb' }), async (req, res) => {
  const name = req.params.name as (typeof hookNames)[number];
  if (!hookNames.includes(name)) {
    res.status(404).json({ typed: true, kind: 'not_found', message: 'no such hook' });
    return;
  }
  const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  let payload: unknown = text;
  try {
    payload = JSON.parse(text);
  } catch {
    /* malformed JSON reaches the hook as the raw string: a host may pass anything */
  }
  const deliveryId = req.get('x-delivery-id');
  try {
    const runs = await (plugin.hooks as Hooks)[name](payload, deliveryId === undefined ? undefined : { deliveryId });
    res.json({ ok: true, runs: runs.length });
  } catch (e) {
    if (isActionsError(e) && !stackLike.test(e.message)) {
      res.status(e.kind === 'internal' ? 500 : 400).json({ typed: e.kind !== 'internal', kind: e.kind, message: e.message });
      return;
    }
    const err = e as Error;
    res.status(500).json({ typed: false, kind: 'untyped', message: String(err?.message ?? e), stack: err?.stack?.split('\n').slice(0, 5).join(' | ') });
  }
});
// the REST API asks the host for permission; the fuzzer marks itself admin to reach the handlers
app.use('/actions', (req, res, next) => {
  if (req.get('x-fuzz-admin') === '1') {
    res.locals.actionsAdmin = true;
    res.locals.actionsUser = { id: 4, login: 'fuzz' };
  }
  next();
});
app.use('/actions', plugin);
const server = http.createServer(app);
server.keepAliveTimeout = 60_000;
server.requestTimeout = 120_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, registrationToken, repoId: fuzzRepo.id, otherRepoId: otherRepo.id })}\n`);

const stop = async () => {
  server.closeAllConnections();
  server.close();
  await plugin.close();
  await knex.destroy();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
