// Gateway for action_task_output: first write wins, per (task, key).
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';
import { insertSql, nativeRows } from './native.js';

export class TaskOutputGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  /** inserts the keys not stored yet; an existing key keeps its first value */
  async insertIfAbsent(taskId: number, outputs: Array<[string, string]>): Promise<void> {
    if (outputs.length === 0) return;
    for (let i = 0; i < outputs.length; i += 1000) {
      const rows = outputs.slice(i, i + 1000).map(([output_key, output_value]) => ({ task_id: taskId, output_key, output_value }));
      const { sql, bindings } = insertSql('action_task_output', rows, 'on conflict (task_id, output_key) do nothing');
      await nativeRows(this.k, this.dialect, sql, bindings);
    }
  }

  async keys(taskId: number): Promise<string[]> {
    const rows = await nativeRows<{ output_key: string }>(this.k, this.dialect, 'select output_key from action_task_output where task_id = ? order by id', [taskId]);
    return rows.map((r) => r.output_key);
  }

  /** outputs of several tasks, in task order then insertion order */
  async ofTasks(taskIds: number[]): Promise<Array<{ task_id: number; output_key: string; output_value: string }>> {
    if (taskIds.length === 0) return [];
    return this.k('action_task_output').whereIn('task_id', taskIds).orderBy([{ column: 'task_id' }, { column: 'id' }]);
  }
}
