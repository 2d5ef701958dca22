// Gateway for action_log_row: the rows of a running task's log. The unique
// (task_id, index) key makes a retried batch a no-op on any instance.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';
import { nativeRows } from './native.js';

export interface LogRowRow {
  index: number;
  /** unix ms */
  time: number;
  content: string;
}

export class LogRowGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async insert(taskId: number, rows: LogRowRow[]): Promise<void> {
    // Hand-written SQL: for a batch of thousands of rows the query builder's normalisation of every
    // row object costs more than the insert. Chunks keep each statement under the bound-parameter
    // limit: 4 per row, 2,000 rows = 8,000 (SQLite >= 3.32 allows 32,766; PostgreSQL 65,535).
    const chunk = 2_000;
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.length <= chunk ? rows : rows.slice(i, i + chunk);
      const bindings: Array<string | number> = new Array(part.length * 4);
      let b = 0;
      for (const r of part) {
        bindings[b++] = taskId;
        bindings[b++] = r.index;
        bindings[b++] = r.time;
        bindings[b++] = r.content;
      }
      const values = '(?, ?, ?, ?)' + ', (?, ?, ?, ?)'.repeat(part.length - 1);
      await nativeRows(this.k, this.dialect, `insert into action_log_row (task_id, "index", "time", content) values ${values} on conflict (task_id, "index") do nothing`, bindings);
    }
  }

  async range(taskId: number, from = 0, to?: number): Promise<LogRowRow[]> {
    const q = this.k('action_log_row').where({ task_id: taskId }).andWhere('index', '>=', from);
    if (to !== undefined) q.andWhere('index', '<', to);
    const rows = (await q.orderBy('index').select('index', 'time', 'content')) as LogRowRow[];
    return rows.map((r) => ({ index: Number(r.index), time: Number(r.time), content: r.content }));
  }

  async deleteOfTask(taskId: number): Promise<void> {
    await nativeRows(this.k, this.dialect, 'delete from action_log_row where task_id = ?', [taskId]);
  }
}
