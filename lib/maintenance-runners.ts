// Runner cleanup (spec job-lifecycle §9.5 step 4): an ephemeral runner that
// has any finished task is deleted (softly, its uuid rewritten). Runners with
// only pending tasks or none, and non-ephemeral runners, are kept. Runner
// status (idle, active, offline) is derived from last_online/last_active when
// read: see runnerStatus in lib/runners.ts.
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { RunnerGateway } from '../models/runners.js';
import { doneStatuses } from './status.js';

export async function cleanupEphemeralRunners(deps: Deps): Promise<number> {
  const k = deps.knex;
  const rows = (await k('action_runner as r')
    .where({ 'r.ephemeral': true, 'r.deleted': 0 })
    .whereExists((q) => q.select(k.raw('1')).from('action_task as t').whereRaw('t.runner_id = r.id').whereIn('t.status', doneStatuses))
    .select('r.id')) as Array<{ id: number }>;
  let deleted = 0;
  for (const { id } of rows) {
    // conditional on deleted = 0: two instances deleting the same runner write once
    deleted += await new RunnerGateway(k, deps.dialect).softDelete(id, nowMs(deps));
  }
  return deleted;
}
