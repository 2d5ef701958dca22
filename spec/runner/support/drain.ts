// Instances in child processes, and N runner clients draining the waiting
// jobs of a database through them. Shared by the drain test and the claim
// benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { RunnerClient } from '../../support/runner-client.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Instance {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** a plugin instance in its own process, on `databaseUrl` */
export async function startInstance(databaseUrl: string, logDir?: string): Promise<Instance> {
  // INSTANCE_NODE_ARGS: extra node flags for the instances (a benchmark profiles them with --cpu-prof)
  const extra = process.env.INSTANCE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const args = [...extra, '--import', 'tsx', path.join(here, 'server-child.ts'), databaseUrl, ...(logDir ? [logDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (e) {
        reject(e);
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited early with code ${code}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/actions`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export interface DrainResult {
  completed: number;
  ms: number;
  /** tasks whose final report failed */
  errors: number;
  /** FetchTask calls made, and those that got no task */
  fetches: number;
  empty: number;
}

/**
 * Runs `runners` clients (spread round-robin over `baseUrls`) until `total`
 * tasks have been completed or `deadlineMs` passed. Each client polls like a
 * forgejo-runner (request key, tasks version) and finishes every task with
 * one log line and a success result; with `finish: false` a task counts once
 * it is claimed, and stays running.
 */
export async function drain(clients: RunnerClient[], total: number, deadlineMs = 60_000, opts: { finish?: boolean } = {}): Promise<DrainResult> {
  const finish = opts.finish ?? true;
  let completed = 0;
  let errors = 0;
  let fetches = 0;
  let empty = 0;
  const start = Date.now();
  const deadline = start + deadlineMs;
  await Promise.all(
    clients.map(async (c) => {
      while (completed < total && Date.now() < deadline) {
        let tasks;
        try {
          fetches++;
          tasks = (await c.fetchTask()).tasks;
        } catch {
          // like the runner: log and retry on the next tick, keeping the request key
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        if (tasks.length === 0) {
          empty++;
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        for (const t of tasks) {
          if (!finish) {
            completed++;
            continue;
          }
          try {
            await c.runTask(t, { lines: 1 });
            completed++;
          } catch {
            errors++;
          }
        }
      }
    }),
  );
  return { completed, ms: Date.now() - start, errors, fetches, empty };
}

/** what the database says after a drain: every job assigned exactly once, none left waiting */
export async function drainOutcome(knex: Knex): Promise<{ jobs: number; tasks: number; duplicates: number; lost: number; notSuccess: number }> {
  const n = async (q: Knex.QueryBuilder) => Number(((await q) as Array<{ n: number | string }>)[0]!.n);
  const jobs = await n(knex('action_run_job').count('* as n'));
  const tasks = await n(knex('action_task').count('* as n'));
  const distinct = await n(knex('action_task').countDistinct('job_id as n'));
  const lost = await n(knex('action_run_job').whereIn('status', [5]).count('* as n'));
  const notSuccess = await n(knex('action_run_job').whereNot({ status: 1 }).count('* as n'));
  return { jobs, tasks, duplicates: tasks - distinct, lost, notSuccess };
}
