// The plugin's `jobs` member: each maintenance pass runs on demand
// (`jobs.run(name)`) or from node-cron in every instance, and either way only
// under its lease row, so a pass takes effect once across instances however
// many processes trigger it. node-cron is only a trigger, never the guard.
import cron, { type ScheduledTask } from 'node-cron';
import type { Deps } from '../lib/deps.js';
import { InvalidArgument } from '../lib/errors.js';
import { withLease } from '../lib/leases.js';
import { jobNames, jobs, type JobName } from './definitions.js';

export { jobNames, type JobName } from './definitions.js';

export interface Jobs {
  /** runs one pass of `name` now, under the same cross-instance lease as the cron-driven passes */
  run(name: string): Promise<void>;
}

export interface JobScheduler extends Jobs {
  /** schedules every job with node-cron (and the start-up passes) */
  start(): void;
  /** stops the cron triggers and waits for passes in flight */
  stop(): Promise<void>;
}

export function isJobName(name: string): name is JobName {
  return (jobNames as readonly string[]).includes(name);
}

export function createJobs(deps: Deps): JobScheduler {
  const tasks: ScheduledTask[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  const run = async (name: string): Promise<void> => {
    if (!isJobName(name)) throw new InvalidArgument(`unknown job '${name}': one of ${jobNames.join(', ')}`, { field: 'name' });
    const job = jobs[name];
    const ran = await withLease(deps, `job:${name}`, job.ttl, (lease) => job.pass(deps, lease).then(() => undefined));
    if (!ran) deps.logger.debug({ job: name }, 'maintenance pass skipped: another instance holds its lease');
  };

  /** a cron-triggered pass: failures are logged, never thrown into node-cron */
  const trigger = (name: JobName): void => {
    if (stopped) return;
    const p = run(name).catch((e: unknown) => deps.logger.error({ err: e, job: name }, 'maintenance pass failed'));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  return {
    run,
    start() {
      for (const name of jobNames) {
        const job = jobs[name];
        tasks.push(cron.schedule(job.cron, () => trigger(name), { name: `forge-actions:${name}:${deps.config.instanceId}`, noOverlap: true }));
        if (job.atStart) trigger(name);
      }
    },
    async stop() {
      stopped = true;
      for (const t of tasks.splice(0)) await t.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}
