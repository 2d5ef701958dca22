// The content of one assigned task as the runner receives it, built in the
// transaction that claims (or re-issues) it. Transport-neutral: the runner
// route turns it into the protobuf Task.
import type { Deps } from '../deps.js';
import type { Executor } from '../../models/base.js';
import { buildTaskPayload, type TaskPayloadInput } from '../task-payload.js';
import { buildNeeds, type TaskNeedData } from './needs.js';

export interface AssignedTask {
  id: number;
  jobId: number;
  /** the single-job workflow document (YAML) */
  workflowPayload: string;
  context: Record<string, unknown>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  needs: Record<string, TaskNeedData>;
}

export async function buildAssignedTask(k: Executor, deps: Deps, input: TaskPayloadInput): Promise<AssignedTask> {
  const { context, secrets, vars } = await buildTaskPayload(k, deps, input);
  const needs = await buildNeeds(k, deps.dialect, input.job);
  return {
    id: input.taskId,
    jobId: input.job.id,
    workflowPayload: input.job.workflow_payload,
    context,
    secrets,
    vars,
    needs,
  };
}
