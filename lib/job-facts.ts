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

function parseFacts(payload: string): JobPayloadFacts {
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

// A job's workflow_payload never changes once written (a re-plan writes a new
// payload string), so its facts are cached by the payload text itself: the
// emitter and commit statuses read every job of a run on each call, and would
// otherwise parse the same YAML again and again. Bounded by entries and by the
// payload bytes held as keys; least recently used first out.
const MAX_ENTRIES = 2_000;
const MAX_KEY_CHARS = 16 * 1024 * 1024;
const cache = new Map<string, JobPayloadFacts>();
let cachedChars = 0;

function frozen(f: JobPayloadFacts): JobPayloadFacts {
  // shared between callers: nobody may change a cached value
  Object.freeze(f.workflowCallInputs);
  Object.freeze(f.outputs);
  return Object.freeze(f);
}

export function readJobFacts(payload: string): JobPayloadFacts {
  const hit = cache.get(payload);
  if (hit) {
    cache.delete(payload);
    cache.set(payload, hit);
    return hit;
  }
  const facts = frozen(parseFacts(payload));
  if (payload.length > MAX_KEY_CHARS / 16) return facts; // a huge payload is not worth holding
  cache.set(payload, facts);
  cachedChars += payload.length;
  while (cache.size > MAX_ENTRIES || cachedChars > MAX_KEY_CHARS) {
    const oldest = cache.keys().next().value!;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  return facts;
}
