// Gateway for action_log_row: the rows of a running task's log. The unique
// (task_id, index) key makes a retried batch a no-op on any instance.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';

export interface LogRowRow {
  index: number;
  /** unix ms */
  time: number;
  content: string;
}

export class LogRowGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async insert(taskId: number, rows: LogRowRow[]): Promise<void> {
    // chunks keep each statement under SQLite's bound-parameter limit
    for (let i = 0; i < rows.length; i += 200) {
      await this.k('action_log_row')
        .insert(rows.slice(i, i + 200).map((r) => ({ task_id: taskId, index: r.index, time: r.time, content: r.content })))
        .onConflict(['task_id', 'index'])
        .ignore();
    }
  }

  async range(taskId: number, from = 0, to?: number): Promise<LogRowRow[]> {
    const q = this.k('action_log_row').where({ task_id: taskId }).andWhere('index', '>=', from);
    if (to !== undefined) q.andWhere('index', '<', to);
    const rows = (await q.orderBy('index').select('index', 'time', 'content')) as LogRowRow[];
    return rows.map((r) => ({ index: Number(r.index), time: Number(r.time), content: r.content }));
  }

  async deleteOfTask(taskId: number): Promise<void> {
    await this.k('action_log_row').where({ task_id: taskId }).delete();
  }
}
