// `service.schedules`: a repository's schedules as people read them, with
// each spec's next and previous fire time and why it does not fire, if so.
import type { Deps } from '../deps.js';
import { ScheduleGateway } from '../../models/schedules.js';
import { specTimer } from './cron.js';

export interface ScheduleSpecInfo {
  id: number;
  spec: string;
  timezone: string;
  /** ISO time, or null when it never fires */
  next: string | null;
  prev: string | null;
  /** why this spec does not fire ('' when it does) */
  error: string;
}

export interface ScheduleInfo {
  id: number;
  workflow_id: string;
  ref: string;
  commit_sha: string;
  event: string;
  title: string;
  /** why the workflow's schedule does not fire ('' when it does) */
  disabled_reason: string;
  specs: ScheduleSpecInfo[];
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

export async function listSchedules(deps: Deps, repoId: number): Promise<ScheduleInfo[]> {
  const gateway = new ScheduleGateway(deps.knex, deps.dialect);
  const disabled = await gateway.disabledWorkflows(repoId);
  const repo = (await deps.knex('action_repository').where({ id: repoId }).first('archived', 'disabled')) as { archived: unknown; disabled: unknown } | undefined;
  return (await gateway.ofRepo(repoId)).map((s) => ({
    id: s.id,
    workflow_id: s.workflow_id,
    ref: s.ref,
    commit_sha: s.commit_sha,
    event: s.event,
    title: s.title,
    disabled_reason: s.disabled_reason || disabled.get(s.workflow_id) || (repo && (Number(repo.archived) || Number(repo.disabled)) ? 'repository is archived or disabled' : ''),
    specs: s.specRows.map((p) => {
      const t = specTimer(p.spec, p.timezone);
      return { id: p.id, spec: p.spec, timezone: p.timezone, next: iso(p.next), prev: iso(p.prev), error: t.ok ? '' : t.error };
    }),
  }));
}
