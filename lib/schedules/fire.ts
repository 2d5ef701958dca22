// Firing (spec §7.4, made safe across instances): every spec with
// next <= now fires one run. The occurrence row (spec, due) is claimed inside
// the run's transaction together with advancing `next`, so among any number
// of instances exactly one creates the run, and a crash before the commit
// leaves the occurrence unclaimed for the next pass. Missed slots collapse:
// `next` moves to the first slot after now, so downtime gives one run.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import type { Executor } from '../../models/base.js';
import { ScheduleGateway, type DueSpec } from '../../models/schedules.js';
import { createRunRow, type RunContext, type RunRow } from '../create-runs.js';
import { getRepository } from '../repositories.js';
import { describePreExecutionError } from '../pre-execution.js';
import { AUTO_DISABLED } from './register.js';
import { nextFireTime } from './cron.js';
import { always, walkPages, type KeepGoing } from '../paging.js';

const PAGE = 50;

/** thrown inside the run's transaction when another pass already fired this occurrence */
class OccurrenceTaken extends Error {}

export interface FireResult {
  fired: number;
  failed: number;
}

/** One pass over the due specs. `keepGoing` lets a lease-guarded caller stop between pages. */
export async function fireDueSchedules(deps: Deps, keepGoing: KeepGoing = always): Promise<FireResult> {
  // now is read once: a pass fires what was due when it started
  const now = nowMs(deps);
  let failed = 0;
  const fired = await walkPages({
    size: PAGE,
    keepGoing,
    read: (afterId, limit) => new ScheduleGateway(deps.knex, deps.dialect).due(now, afterId, limit),
    visit: async (spec) => {
      const outcome = await fireSpec(deps, spec, now);
      if (outcome === 'failed') failed++;
      return outcome === 'fired';
    },
    // one bad spec never stops the others
    failed: (spec, e) => deps.logger.error({ err: e, spec: spec.id }, 'schedule spec could not fire'),
  });
  return { fired, failed };
}

async function fireSpec(deps: Deps, spec: DueSpec, now: number): Promise<'fired' | 'taken' | 'failed' | 'skipped'> {
  const s = spec.schedule;
  const due = spec.next;
  // an unparsable stored spec gets next = 0: it stops being due
  const next = nextFireTime(spec.spec, spec.timezone, new Date(now));
  const repo = await getRepository(deps, s.repo_id);
  const claim = async (k: Executor) => {
    const gateway = new ScheduleGateway(k, deps.dialect);
    if (!(await gateway.claim(spec.id, due, now))) throw new OccurrenceTaken();
    await gateway.advance(spec.id, due, next, now);
  };
  if (!repo) {
    await advanceWithoutRun(deps, spec, due, next, now, null);
    return 'skipped';
  }
  const ctx: RunContext = {
    repo,
    event: s.event,
    payload: JSON.parse(s.event_payload || '{}') as Record<string, unknown>,
    ref: s.ref,
    sha: s.commit_sha,
    title: s.title,
    triggerUser: { id: -2, login: 'forgejo-actions' },
    deliveryKey: null,
    scheduleId: s.id,
    claim,
  };
  let run: RunRow;
  try {
    run = await createRunRow(deps, ctx, { workflowId: s.workflow_id, workflowDirectory: s.workflow_directory, content: s.content, triggerEvent: 'schedule' });
  } catch (e) {
    if (e instanceof OccurrenceTaken) return 'taken';
    const reason = `${AUTO_DISABLED[1]}${e instanceof Error ? e.message : String(e)}`;
    return (await advanceWithoutRun(deps, spec, due, next, now, reason)) ? 'failed' : 'taken';
  }
  const gateway = new ScheduleGateway(deps.knex, deps.dialect);
  await gateway.setOccurrenceRun(spec.id, due, run.id);
  if (run.pre_execution_error_code) {
    // the workflow does not plan: its one failed run shows why, and it stops firing until the file changes
    let details: unknown[] = [];
    try {
      details = JSON.parse(run.pre_execution_error_details || '[]') as unknown[];
    } catch {
      /* the code alone still names the failure */
    }
    const reason = `${AUTO_DISABLED[1]}${describePreExecutionError(run.pre_execution_error_code, details)}`;
    await deps.knex.transaction((trx) => new ScheduleGateway(trx, deps.dialect).disableWorkflow(s.repo_id, s.workflow_id, reason, nowMs(deps)));
    return 'failed';
  }
  return 'fired';
}

/**
 * The run could not be written: claim the occurrence anyway, disable the
 * workflow with the reason (Forgejo adds it to DisabledWorkflows), and move
 * `next` on, all in one transaction. False when another pass had claimed it.
 */
async function advanceWithoutRun(deps: Deps, spec: DueSpec, due: number, next: number, now: number, reason: string | null): Promise<boolean> {
  return deps.knex.transaction(async (trx) => {
    const gateway = new ScheduleGateway(trx, deps.dialect);
    if (!(await gateway.claim(spec.id, due, now))) return false;
    await gateway.advance(spec.id, due, next, now);
    if (reason !== null) await gateway.disableWorkflow(spec.schedule.repo_id, spec.schedule.workflow_id, reason, now);
    if (reason !== null) deps.logger.warn({ spec: spec.id, workflow: spec.schedule.workflow_id, reason }, 'scheduled workflow disabled');
    return true;
  });
}
