// Gateway for action_task_step: one row per step of a task's job.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';

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
    if (steps.length > 0) await this.k('action_task_step').insert(steps);
  }

  async ofTask(taskId: number): Promise<TaskStepRow[]> {
    return this.k('action_task_step').where({ task_id: taskId }).orderBy('index');
  }

  async update(id: number, fields: Partial<Omit<TaskStepRow, 'id' | 'task_id' | 'index'>>): Promise<void> {
    await this.k('action_task_step').where({ id }).update(fields);
  }
}
