// Gateway for action_task_output: first write wins, per (task, key).
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';

export class TaskOutputGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  /** inserts the keys not stored yet; an existing key keeps its first value */
  async insertIfAbsent(taskId: number, outputs: Array<[string, string]>): Promise<void> {
    if (outputs.length === 0) return;
    await this.k('action_task_output')
      .insert(outputs.map(([output_key, output_value]) => ({ task_id: taskId, output_key, output_value })))
      .onConflict(['task_id', 'output_key'])
      .ignore();
  }

  async keys(taskId: number): Promise<string[]> {
    const rows = (await this.k('action_task_output').where({ task_id: taskId }).orderBy('id').select('output_key')) as Array<{ output_key: string }>;
    return rows.map((r) => r.output_key);
  }

  /** outputs of several tasks, in task order then insertion order */
  async ofTasks(taskIds: number[]): Promise<Array<{ task_id: number; output_key: string; output_value: string }>> {
    if (taskIds.length === 0) return [];
    return this.k('action_task_output').whereIn('task_id', taskIds).orderBy([{ column: 'task_id' }, { column: 'id' }]);
  }
}
