// A plugin on a fresh database with a MemoryHost, a movable clock, its own
// Knex for checks, and a registered runner on demand.
import fs from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase, type Dialect } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import type { ActionsPluginOptions } from '../../lib/index.js';
import { getOrCreateRegistrationToken } from '../../lib/runners.js';
import { freshDatabaseUrl, type DbKind } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { testDeps } from '../support/fixtures.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import { RunnerClient } from '../support/runner-client.js';
import type { Repository } from '../../lib/index.js';
import { tempDir } from '../support/temp.js';

export interface JobsEnv {
  t: TestServer;
  host: MemoryHost;
  knex: Knex;
  dialect: Dialect;
  deps: Deps;
  logDir: string;
  /** commits `files` on the default branch and sends the push */
  push(repo: Repository, files: Record<string, string>, message?: string): Promise<string>;
  runner(labels?: string[], ephemeral?: boolean): Promise<RunnerClient>;
  close(): Promise<void>;
}

export async function startJobsEnv(kind: DbKind, options: ActionsPluginOptions = {}): Promise<JobsEnv> {
  const db = openDatabase(await freshDatabaseUrl(kind));
  const logDir = tempDir('jobs');
  const host = new MemoryHost();
  const t = await startTestServer(kind, { database: db.knex, host, logDir, ...options });
  const deps = testDeps(db.knex, db.dialect, { clock: t.clock, logDir });
  deps.host = host;
  return {
    t,
    host,
    knex: db.knex,
    dialect: db.dialect,
    deps,
    logDir,
    async push(repo, files, message = 'a change') {
      const sha = host.commit(repo, `refs/heads/${repo.default_branch ?? 'main'}`, files);
      await t.plugin.hooks.push(pushPayload(repo, `refs/heads/${repo.default_branch ?? 'main'}`, sha, message));
      return sha;
    },
    async runner(labels = ['ubuntu'], ephemeral = false) {
      const token = await getOrCreateRegistrationToken(deps, {});
      return RunnerClient.register(t.baseUrl, { token, labels, ephemeral });
    },
    async close() {
      await t.close();
      await db.knex.destroy();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function scheduled(cron: string | string[], extra = ''): string {
  const crons = (Array.isArray(cron) ? cron : [cron]).map((c) => `    - cron: '${c}'${extra}`).join('\n');
  return `on:\n  schedule:\n${crons}\njobs:\n  build:\n    runs-on: ubuntu\n    steps: [{ run: echo hi }]\n`;
}

export async function scheduleRuns(knex: Knex, repoId?: number): Promise<Array<Record<string, unknown>>> {
  const q = knex('action_run').where('schedule_id', '>', 0).orderBy('id');
  if (repoId !== undefined) q.andWhere({ repo_id: repoId });
  return q;
}
