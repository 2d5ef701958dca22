// Gateway for action_run and the per-repository run counter.
import type { Dialect } from '../lib/db.js';
import { bool, type Executor, type Gateway } from './base.js';
import { insertSql, nativeFirst, nativeRows, nativeUpdate } from './native.js';

export interface RunRow {
  id: number;
  repo_id: number;
  owner_id: number;
  run_number: number;
  title: string;
  workflow_id: string;
  workflow_directory: string;
  trigger_user_id: number;
  trigger_user: string;
  schedule_id: number;
  ref: string;
  commit_sha: string;
  event: string;
  trigger_event: string;
  event_payload: string;
  status: number;
  version: number;
  started: number;
  stopped: number;
  previous_duration: number;
  need_approval: boolean;
  approved_by: number;
  is_fork_pull_request: boolean;
  pull_request_poster_id: number;
  pull_request_number: number;
  concurrency_group: string;
  concurrency_type: number;
  pre_execution_error_code: number;
  pre_execution_error_details: string;
  delivery_key: string | null;
  done_notified: boolean;
  created: number;
  updated: number;
}

export type NewRun = Omit<RunRow, 'id' | 'run_number' | 'version' | 'done_notified'> & { run_number?: number };

export const ConcurrencyType = { unlimited: 0, queueBehind: 1, cancelInProgress: 2 } as const;

export function toRun(r: Record<string, unknown> | undefined): RunRow | undefined {
  if (!r) return undefined;
  return {
    ...(r as unknown as RunRow),
    need_approval: bool(r.need_approval),
    is_fork_pull_request: bool(r.is_fork_pull_request),
    done_notified: bool(r.done_notified),
  };
}

export class RunGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  /** `lock`: FOR UPDATE on PostgreSQL */
  async get(id: number, opts: { lock?: boolean } = {}): Promise<RunRow | undefined> {
    const lock = opts.lock && this.dialect === 'pg' ? ' for update' : '';
    return toRun(await nativeFirst(this.k, this.dialect, `select * from action_run where id = ?${lock}`, [id]));
  }

  /** next per-repository run number, allocated inside the caller's transaction */
  async nextRunNumber(repoId: number): Promise<number> {
    // one upsert for the first run of a repository and every later one; through the driver (models/native.ts): a push creates a run per workflow
    const [row] = await nativeRows<{ max_index: number }>(
      this.k,
      this.dialect,
      'insert into action_run_index (repo_id, max_index) values (?, 1) on conflict (repo_id) do update set max_index = action_run_index.max_index + 1 returning max_index',
      [repoId],
    );
    return Number(row!.max_index);
  }

  async insert(run: NewRun): Promise<RunRow> {
    const fields = { ...run, version: 0, done_notified: false };
    // only the id comes back: the rest is what was written (the payload need not travel twice)
    const { sql, bindings } = insertSql('action_run', fields, 'returning id');
    const [row] = await nativeRows<{ id: number }>(this.k, this.dialect, sql, bindings);
    return { ...fields, id: Number(row!.id), run_number: run.run_number!, delivery_key: run.delivery_key ?? null } as RunRow;
  }

  /** ids of the repository's runs in a concurrency group that still have a job in one of `statuses` */
  async inGroupWithPendingJobs(repoId: number, group: string, statuses: number[]): Promise<number[]> {
    const rows = await nativeRows<{ id: number }>(
      this.k,
      this.dialect,
      'select r.id from action_run r where r.repo_id = ? and r.concurrency_group = ?' +
        ` and exists (select 1 from action_run_job j where j.run_id = r.id and j.status in (${statuses.map(() => '?').join(', ')}))`,
      [repoId, group, ...statuses],
    );
    return rows.map((r) => Number(r.id));
  }

  /** the run a delivery already created for a workflow (a redelivered event) */
  async byDelivery(repoId: number, deliveryKey: string, workflowId: string): Promise<RunRow | undefined> {
    return toRun(
      await nativeFirst(this.k, this.dialect, 'select * from action_run where repo_id = ? and delivery_key = ? and workflow_id = ?', [repoId, deliveryKey, workflowId]),
    );
  }

  async update(id: number, fields: Partial<RunRow>): Promise<number> {
    return nativeUpdate(this.k, this.dialect, 'action_run', fields, { id });
  }

  async list(where: Partial<RunRow>, opts: { limit?: number; offset?: number } = {}): Promise<RunRow[]> {
    const rows = await this.k('action_run').where(where).orderBy('id', 'desc').limit(opts.limit ?? 50).offset(opts.offset ?? 0);
    return rows.map((r: Record<string, unknown>) => toRun(r)!);
  }
}
