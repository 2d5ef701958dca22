// A plugin on a real HTTP server whose host authorizes every REST call, whose
// logger output is kept for inspection, and a Knex of its own for fixtures:
// the security checks drive it with the real protocol client.
import fs from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase, type Dialect } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import { getOrCreateRegistrationToken, type ScopeInput } from '../../lib/runners.js';
import { freshDatabaseUrl, type DbKind } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { testDeps } from '../support/fixtures.js';
import { RunnerClient } from '../support/runner-client.js';
import { tempDir } from '../support/temp.js';

export interface SecurityEnv {
  server: TestServer;
  knex: Knex;
  dialect: Dialect;
  deps: Deps;
  /** every logger call, serialised (errors with message and stack) */
  logs: string[];
  runner(opts?: { scope?: ScopeInput; labels?: string[]; ephemeral?: boolean }): Promise<RunnerClient>;
  /** a REST call as an admin of everything (the host's authorize says yes) */
  rest(method: string, route: string, body?: unknown): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

function serialise(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { message: x.message, stack: x.stack, cause: x.cause } : typeof x === 'bigint' ? String(x) : x));
}

export async function startSecurityEnv(kind: DbKind): Promise<SecurityEnv> {
  const db = openDatabase(await freshDatabaseUrl(kind));
  const logDir = tempDir('security');
  const logs: string[] = [];
  const keep = (...args: unknown[]) => void logs.push(serialise(args));
  const logger = { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
  const server = await startTestServer(kind, {
    database: db.knex,
    logDir,
    logger,
    host: { listFiles: async () => null, readFile: async () => null, authorize: async () => true },
  });
  const deps = testDeps(db.knex, db.dialect, { clock: server.clock, logDir });
  return {
    server,
    knex: db.knex,
    dialect: db.dialect,
    deps,
    logs,
    async runner(opts = {}) {
      const token = await getOrCreateRegistrationToken(deps, opts.scope ?? {});
      return RunnerClient.register(server.baseUrl, { token, labels: opts.labels, ephemeral: opts.ephemeral }, 1);
    },
    async rest(method, route, body) {
      const res = await fetch(`${server.baseUrl}/api/v1${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    async close() {
      await server.close();
      await db.knex.destroy();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}
