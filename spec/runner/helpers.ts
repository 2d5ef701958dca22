// One plugin on a fresh database per test suite, with a Knex of its own for
// fixtures and checks, and a Deps for calling the runner service functions.
import fs from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase, type Dialect } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import { getOrCreateRegistrationToken, type ScopeInput } from '../../lib/runners.js';
import { freshDatabaseUrl, type DbKind } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { testDeps } from '../support/fixtures.js';
import { RunnerClient } from '../support/runner-client.js';
import { hashToken } from '../../lib/tokens.js';
import { tempDir } from '../support/temp.js';

export interface Env {
  server: TestServer;
  knex: Knex;
  dialect: Dialect;
  deps: Deps;
  baseUrl: string;
  logDir: string;
  /** a runner registered in `scope` with `labels` */
  runner(opts?: { labels?: string[]; scope?: ScopeInput; ephemeral?: boolean; capacity?: number }): Promise<RunnerClient>;
  close(): Promise<void>;
}

export async function startEnv(kind: DbKind): Promise<Env> {
  const db = openDatabase(await freshDatabaseUrl(kind));
  const logDir = tempDir('logs');
  const debug = process.env.DEBUG_RUNNER_SPEC ? { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } : undefined;
  const server = await startTestServer(kind, { database: db.knex, logDir, ...(debug ? { logger: debug } : {}) });
  const deps = testDeps(db.knex, db.dialect, { clock: server.clock, logDir });
  return {
    server,
    knex: db.knex,
    dialect: db.dialect,
    deps,
    baseUrl: server.baseUrl,
    logDir,
    async runner(opts = {}) {
      const token = await getOrCreateRegistrationToken(deps, opts.scope ?? {});
      return RunnerClient.register(server.baseUrl, { token, labels: opts.labels, ephemeral: opts.ephemeral }, opts.capacity ?? 1);
    },
    async close() {
      await server.close();
      await db.knex.destroy();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** the task token as the runner received it must be the one whose hash the task row holds */
export async function tokenIsCurrent(knex: Knex, taskId: bigint, token: string): Promise<boolean> {
  const row = (await knex('action_task').where({ id: Number(taskId) }).first('token_hash')) as { token_hash: string } | undefined;
  return row?.token_hash === hashToken(token);
}

export async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<{ code: string; message: string }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected a ${code} error, the call succeeded`);
  const { ConnectError, Code } = await import('@connectrpc/connect');
  const ce = ConnectError.from(err);
  const name = Code[ce.code].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  if (name !== code) throw new Error(`expected ${code}, got ${name}: ${ce.rawMessage}`);
  if (message && !message.test(ce.rawMessage)) throw new Error(`message ${JSON.stringify(ce.rawMessage)} does not match ${message}`);
  return { code: name, message: ce.rawMessage };
}
