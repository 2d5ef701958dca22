// The maintenance job set: what each pass does, how often node-cron triggers
// it, and how long its lease is held. Cadences follow Forgejo's cron tasks
// (services/cron/tasks_actions.go).
import type { Deps } from '../lib/deps.js';
import type { Lease } from '../lib/leases.js';
import { fireDueSchedules } from '../lib/schedules/index.js';
import { cancelAbandonedJobs, stopEndlessTasks, stopZombieTasks } from '../lib/maintenance-timeouts.js';
import { removeExpiredLogs, transferLingeringLogs } from '../lib/maintenance-logs.js';
import { cleanupEphemeralRunners } from '../lib/maintenance-runners.js';
import { reconcile } from '../lib/maintenance-reconcile.js';

export const jobNames = ['schedules', 'zombies', 'endless', 'abandoned', 'logs', 'runners', 'reconcile'] as const;
export type JobName = (typeof jobNames)[number];

export interface JobDefinition {
  /** node-cron expression (5 fields, system time: it only triggers; passes read the plugin clock) */
  cron: string;
  /** also run once when the plugin starts */
  atStart: boolean;
  /** lease time to live; a pass renews it between pages */
  ttl: number;
  pass(deps: Deps, lease: Lease): Promise<unknown>;
}

const MINUTE = 60_000;

export const jobs: Record<JobName, JobDefinition> = {
  schedules: { cron: '* * * * *', atStart: false, ttl: 5 * MINUTE, pass: (d, l) => fireDueSchedules(d, l.extend) },
  zombies: { cron: '*/5 * * * *', atStart: true, ttl: 5 * MINUTE, pass: (d, l) => stopZombieTasks(d, l.extend) },
  endless: { cron: '*/30 * * * *', atStart: true, ttl: 5 * MINUTE, pass: (d, l) => stopEndlessTasks(d, l.extend) },
  abandoned: { cron: '0 */6 * * *', atStart: true, ttl: 5 * MINUTE, pass: (d, l) => cancelAbandonedJobs(d, l.extend) },
  logs: {
    cron: '0 0 * * *',
    atStart: true,
    ttl: 10 * MINUTE,
    pass: async (d, l) => {
      await transferLingeringLogs(d, l.extend);
      if (await l.extend()) await removeExpiredLogs(d, l.extend);
    },
  },
  runners: { cron: '*/10 * * * *', atStart: false, ttl: 5 * MINUTE, pass: (d) => cleanupEphemeralRunners(d) },
  reconcile: { cron: '*/5 * * * *', atStart: true, ttl: 5 * MINUTE, pass: (d, l) => reconcile(d, l.extend) },
};
