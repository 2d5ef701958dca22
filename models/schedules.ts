// Gateway for the schedule tables: action_schedule (a workflow snapshot with
// its cron specs), action_schedule_spec (next/prev fire times),
// action_schedule_occurrence (one row per fired (spec, due time): its unique
// key is the cross-instance claim) and action_disabled_workflow.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';
import { jsonArray } from './base.js';

export interface ScheduleRow {
  id: number;
  title: string;
  specs: string[];
  repo_id: number;
  owner_id: number;
  workflow_id: string;
  workflow_directory: string;
  trigger_user_id: number;
  ref: string;
  commit_sha: string;
  event: string;
  event_payload: string;
  content: string;
  disabled_reason: string;
  created: number;
  updated: number;
}

export type NewSchedule = Omit<ScheduleRow, 'id'>;

export interface SpecRow {
  id: number;
  repo_id: number;
  schedule_id: number;
  spec: string;
  timezone: string;
  next: number;
  prev: number;
  created: number;
  updated: number;
}

export type NewSpec = Omit<SpecRow, 'id'>;

/** a due spec with what firing it needs from its schedule */
export interface DueSpec extends SpecRow {
  schedule: ScheduleRow;
}

function toSchedule(r: Record<string, unknown>): ScheduleRow {
  return { ...(r as unknown as ScheduleRow), specs: jsonArray(r.specs) };
}

// a Record rather than a list: the compiler names a ScheduleRow column missing here
const scheduleColumns: Record<keyof ScheduleRow, true> = {
  id: true, title: true, specs: true, repo_id: true, owner_id: true, workflow_id: true, workflow_directory: true, trigger_user_id: true,
  ref: true, commit_sha: true, event: true, event_payload: true, content: true, disabled_reason: true, created: true, updated: true,
};

function toSpec(r: Record<string, unknown>): SpecRow {
  return { ...(r as unknown as SpecRow), next: Number(r.next), prev: Number(r.prev) };
}

export class ScheduleGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  /** removes every schedule of the repository with its specs and claimed occurrences */
  async deleteOfRepo(repoId: number): Promise<void> {
    const k = this.k;
    await k('action_schedule_occurrence').whereIn('spec_id', k('action_schedule_spec').select('id').where({ repo_id: repoId })).delete();
    await k('action_schedule_spec').where({ repo_id: repoId }).delete();
    await k('action_schedule').where({ repo_id: repoId }).delete();
  }

  async insert(s: NewSchedule): Promise<number> {
    const [row] = await this.k('action_schedule').insert({ ...s, specs: JSON.stringify(s.specs) }).returning('id');
    return Number((row as { id: number }).id ?? row);
  }

  async insertSpecs(specs: NewSpec[]): Promise<void> {
    if (specs.length) await this.k('action_schedule_spec').insert(specs);
  }

  async ofRepo(repoId: number): Promise<Array<ScheduleRow & { specRows: SpecRow[] }>> {
    const schedules = ((await this.k('action_schedule').where({ repo_id: repoId }).orderBy('id')) as Record<string, unknown>[]).map(toSchedule);
    const specs = ((await this.k('action_schedule_spec').where({ repo_id: repoId }).orderBy('id')) as Record<string, unknown>[]).map(toSpec);
    return schedules.map((s) => ({ ...s, specRows: specs.filter((p) => p.schedule_id === s.id) }));
  }

  async refs(repoId: number): Promise<string[]> {
    const rows = (await this.k('action_schedule').where({ repo_id: repoId }).distinct('ref')) as Array<{ ref: string }>;
    return rows.map((r) => r.ref);
  }

  /**
   * Specs due at `now` (0 < next <= now) whose schedule may fire: not disabled,
   * repository neither archived nor disabled, workflow not disabled. Keyset
   * paging by id, so a pass reaches every due spec exactly once. The
   * schedule's columns come with the join (prefixed `s__`).
   */
  async due(now: number, afterId: number, limit: number): Promise<DueSpec[]> {
    const k = this.k;
    const rows = (await k('action_schedule_spec as p')
      .join('action_schedule as s', 's.id', 'p.schedule_id')
      .leftJoin('action_repository as r', 'r.id', 's.repo_id')
      .where('p.next', '>', 0)
      .andWhere('p.next', '<=', now)
      .andWhere('p.id', '>', afterId)
      .andWhere('s.disabled_reason', '')
      .andWhere((q) => q.whereNull('r.id').orWhere((w) => w.where('r.archived', false).andWhere('r.disabled', false)))
      .whereNotExists((q) => q.select(k.raw('1')).from('action_disabled_workflow as d').whereRaw('d.repo_id = s.repo_id and d.workflow_id = s.workflow_id'))
      .orderBy('p.id')
      .limit(limit)
      .select('p.*', ...Object.keys(scheduleColumns).map((c) => `s.${c} as s__${c}`))) as Record<string, unknown>[];
    return rows.map((r) => {
      const spec: Record<string, unknown> = {};
      const schedule: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(r)) {
        if (key.startsWith('s__')) schedule[key.slice(3)] = v;
        else spec[key] = v;
      }
      return { ...toSpec(spec), schedule: toSchedule(schedule) };
    });
  }

  /** the claim: true for exactly one caller per (spec, due), whatever the instance */
  async claim(specId: number, due: number, now: number): Promise<boolean> {
    const rows = (await this.k('action_schedule_occurrence')
      .insert({ spec_id: specId, due, run_id: 0, created: now })
      .onConflict(['spec_id', 'due'])
      .ignore()
      .returning('id')) as unknown[];
    return rows.length === 1;
  }

  async setOccurrenceRun(specId: number, due: number, runId: number): Promise<void> {
    await this.k('action_schedule_occurrence').where({ spec_id: specId, due }).update({ run_id: runId });
  }

  /** moves the spec past `due` (a no-op when another pass already moved it) */
  async advance(specId: number, due: number, next: number, now: number): Promise<void> {
    await this.k('action_schedule_spec').where({ id: specId, next: due }).update({ prev: due, next, updated: now });
  }

  /** Forgejo's DisabledWorkflows entry, plus the reason on the repository's schedules of that workflow */
  async disableWorkflow(repoId: number, workflowId: string, reason: string, now: number): Promise<void> {
    await this.k('action_disabled_workflow').insert({ repo_id: repoId, workflow_id: workflowId, reason, created: now }).onConflict(['repo_id', 'workflow_id']).merge(['reason']);
    await this.k('action_schedule').where({ repo_id: repoId, workflow_id: workflowId }).update({ disabled_reason: reason, updated: now });
  }

  async disabledWorkflows(repoId: number): Promise<Map<string, string>> {
    const rows = (await this.k('action_disabled_workflow').where({ repo_id: repoId }).select('workflow_id', 'reason')) as Array<{ workflow_id: string; reason: string }>;
    return new Map(rows.map((r) => [r.workflow_id, r.reason]));
  }
}

