// Drives a run with a protocol client the way a runner would: fetch, report
// results chosen per job name, until no task is left.
import { parse } from 'yaml';
import { RunnerClient, Result, type Task } from '../../lib/index.js';
import type { TestServer } from './plugin.js';

export interface Outcome {
  result?: Result;
  outputs?: Record<string, string>;
}

export function jobNameOf(task: Task): string {
  const doc = parse(new TextDecoder().decode(task.workflowPayload ?? new Uint8Array())) as { jobs?: Record<string, { name?: string }> };
  const [key, job] = Object.entries(doc.jobs ?? {})[0] ?? ['', {}];
  return job?.name ?? key;
}

export async function runnerFor(t: TestServer, labels = ['ubuntu'], scope: { repoId?: number; ownerId?: number } = {}): Promise<RunnerClient> {
  const token = await t.plugin.service.runners.registrationToken(scope);
  return RunnerClient.register(t.baseUrl, { token, labels }, 4);
}

/** Runs every task the runner can get; `outcome(name, task)` decides each job's result. Returns the job names in the order run. */
export async function drain(runner: RunnerClient, outcome: (name: string, task: Task) => Outcome = () => ({}), idlePolls = 3): Promise<string[]> {
  const ran: string[] = [];
  let idle = 0;
  while (idle < idlePolls) {
    const { tasks } = await runner.fetchTask();
    if (tasks.length === 0) {
      idle++;
      runner.tasksVersion = 0n; // look again even if the version did not move
      continue;
    }
    idle = 0;
    for (const task of tasks) {
      const name = jobNameOf(task);
      ran.push(name);
      const o = outcome(name, task);
      await runner.runTask(task, { result: o.result ?? Result.SUCCESS, outputs: o.outputs });
    }
  }
  return ran;
}
