// The facts the job emitter needs from a job's stored single-job workflow:
// its `if`, incompleteness flags and reusable-workflow metadata.
import { parseJobPayload } from './job-payload.js';

export interface JobPayloadFacts {
  workflowName: string;
  if: string;
  incompleteMatrix: boolean;
  incompleteRunsOn: boolean;
  incompleteWith: boolean;
  /** set on the caller placeholder of a reusable workflow */
  workflowCallId: string;
  workflowCallInputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function readJobFacts(payload: string): JobPayloadFacts {
  const { doc, job, workflowCallId } = parseJobPayload(payload);
  const meta = obj(doc.__metadata);
  const flag = (name: string) => doc[name] === true || job[name] === true;
  return {
    workflowName: typeof doc.name === 'string' ? doc.name : '',
    if: job.if === undefined || job.if === null ? '' : String(job.if),
    incompleteMatrix: flag('incomplete_matrix'),
    incompleteRunsOn: flag('incomplete_runs_on'),
    incompleteWith: flag('incomplete_with'),
    workflowCallId: workflowCallId ?? '',
    workflowCallInputs: obj(meta.workflow_call_inputs),
    outputs: obj(job.outputs),
  };
}
