// A plugin on a fresh database with a MemoryHost, a movable clock, its own
// Knex for checks, and a registered runner on demand.
import type { Knex } from 'knex';
import type { Dialect } from '../../lib/db.js';
import type { Deps } from '../../lib/deps.js';
import type { ActionsPluginOptions, Repository } from '../../lib/index.js';
import type { DbKind } from '../support/databases.js';
import type { TestServer } from '../support/plugin.js';
import { startPluginEnv } from '../support/env.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import type { RunnerClient } from '../support/runner-client.js';

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
  const host = new MemoryHost();
  const env = await startPluginEnv(kind, 'jobs', { host, ...options });
  return {
    t: env.server,
    host,
    knex: env.knex,
    dialect: env.dialect,
    deps: env.deps,
    logDir: env.logDir,
    async push(repo, files, message = 'a change') {
      const ref = `refs/heads/${repo.default_branch ?? 'main'}`;
      const sha = host.commit(repo, ref, files);
      await env.server.plugin.hooks.push(pushPayload(repo, ref, sha, message));
      return sha;
    },
    runner: (labels = ['ubuntu'], ephemeral = false) => env.runner({ labels, ephemeral }),
    close: () => env.close(),
  };
}

/** a push workflow of two jobs, b needing a */
export const chain = `on: push
jobs:
  a:
    runs-on: ubuntu
    steps: [{ run: echo a }]
  b:
    needs: a
    runs-on: ubuntu
    steps: [{ run: echo b }]
`;

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
