// The content of one assigned task as the runner receives it, built in the
// transaction that claims (or re-issues) it. Transport-neutral: the runner
// route turns it into the protobuf Task.
import type { Deps } from '../deps.js';
import type { Executor } from '../../models/base.js';
import type { RunRow } from '../../models/runs.js';
import type { JobRow } from '../../models/jobs.js';
import { buildTaskPayload } from '../task-payload.js';
import type { JobPayload } from '../job-payload.js';
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

export async function buildAssignedTask(
  k: Executor,
  deps: Deps,
  run: RunRow,
  job: JobRow,
  taskId: number,
  token: string,
  parsed?: JobPayload,
): Promise<AssignedTask> {
  const payload = await buildTaskPayload(k, deps, { run, job, taskId, token, payload: parsed });
  const needs = await buildNeeds(k, deps.dialect, job);
  return {
    id: taskId,
    jobId: job.id,
    workflowPayload: job.workflow_payload,
    context: payload.context,
    secrets: payload.secrets,
    vars: payload.vars,
    needs,
  };
}
