// Gateway for action_task_step: one row per step of a task's job.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';
import { insertSql, nativeRows, nativeUpdate } from './native.js';

export interface TaskStepRow {
  id: number;
  task_id: number;
  name: string;
  index: number;
  repo_id: number;
  status: number;
  log_index: number;
  log_length: number;
  started: number;
  stopped: number;
}

export class TaskStepGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async insertMany(steps: Array<Omit<TaskStepRow, 'id'>>): Promise<void> {
    if (steps.length === 0) return;
    // in chunks, under the bound-parameter limits (9 per step)
    for (let i = 0; i < steps.length; i += 500) {
      const { sql, bindings } = insertSql('action_task_step', steps.slice(i, i + 500));
      await nativeRows(this.k, this.dialect, sql, bindings);
    }
  }

  async ofTask(taskId: number): Promise<TaskStepRow[]> {
    return nativeRows<TaskStepRow>(this.k, this.dialect, 'select * from action_task_step where task_id = ? order by "index"', [taskId]);
  }

  async update(id: number, fields: Partial<Omit<TaskStepRow, 'id' | 'task_id' | 'index'>>): Promise<void> {
    await nativeUpdate(this.k, this.dialect, 'action_task_step', fields, { id });
  }
}
