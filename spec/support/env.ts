// What the test suites share: a plugin on a real HTTP server over a fresh
// database, a Knex of its own for fixtures and checks, a Deps for calling
// lib/ directly (same clock, log folder and host as the plugin), and runners
// registered on demand through the protocol.
import fs from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase, type Dialect } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import type { ActionsPluginOptions } from '../../lib/index.js';
import { getOrCreateRegistrationToken, type ScopeInput } from '../../lib/runners.js';
import { freshDatabaseUrl, type DbKind } from './databases.js';
import { startTestServer, type TestServer } from './plugin.js';
import { testDeps } from './fixtures.js';
import { RunnerClient } from './runner-client.js';
import { tempDir } from './temp.js';

export interface RunnerOptions {
  labels?: string[];
  scope?: ScopeInput;
  ephemeral?: boolean;
  capacity?: number;
}

export interface PluginEnv {
  server: TestServer;
  knex: Knex;
  dialect: Dialect;
  deps: Deps;
  logDir: string;
  runner(opts?: RunnerOptions): Promise<RunnerClient>;
  close(): Promise<void>;
}

/** `name` names the log folder; `options` go to the plugin (a `host` is given to `deps` too) */
export async function startPluginEnv(kind: DbKind, name: string, options: ActionsPluginOptions = {}): Promise<PluginEnv> {
  const db = openDatabase(await freshDatabaseUrl(kind));
  const logDir = tempDir(name);
  const server = await startTestServer(kind, { database: db.knex, logDir, ...options });
  const deps = testDeps(db.knex, db.dialect, { clock: server.clock, logDir });
  if (options.host) deps.host = options.host;
  return {
    server,
    knex: db.knex,
    dialect: db.dialect,
    deps,
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
