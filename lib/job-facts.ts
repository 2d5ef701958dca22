// A job's stored single-job workflow (action_run_job.workflow_payload), parsed
// once per payload text: the document the claim and the task payload read,
// and the facts the job emitter needs (its `if`, incompleteness flags and
// reusable-workflow metadata).
import { parse } from 'yaml';
import { jobPayloadOf, type JobPayload } from './job-payload.js';

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

function factsOf({ doc, job, workflowCallId }: JobPayload): JobPayloadFacts {
  const meta = obj(doc.__metadata);
  const flag = (name: string) => doc[name] === true || job[name] === true;
  return Object.freeze({
    workflowName: typeof doc.name === 'string' ? doc.name : '',
    if: job.if === undefined || job.if === null ? '' : String(job.if),
    incompleteMatrix: flag('incomplete_matrix'),
    incompleteRunsOn: flag('incomplete_runs_on'),
    incompleteWith: flag('incomplete_with'),
    workflowCallId: workflowCallId ?? '',
    workflowCallInputs: obj(meta.workflow_call_inputs),
    outputs: obj(job.outputs),
  });
}

/** shared between callers: nobody may change a cached document */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}

interface Entry {
  /** the parsed document, or why it did not parse */
  doc: unknown;
  error?: Error;
  payload?: JobPayload;
  facts?: JobPayloadFacts;
}

// A job's workflow_payload never changes once written (a re-plan writes a new
// payload string), so the parse is cached by the payload text itself: a claim,
// the emitter and commit statuses read the same jobs again and again, and YAML
// parsing was the largest part of a claim. Bounded by entries and by the payload
// text held (a parsed document takes several times its text in memory); least
// recently used first out.
const MAX_ENTRIES = 2_000;
const MAX_KEY_CHARS = 4 * 1024 * 1024;
const cache = new Map<string, Entry>();
let cachedChars = 0;

function entryOf(text: string): Entry {
  const hit = cache.get(text);
  if (hit) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  let entry: Entry;
  try {
    entry = { doc: deepFreeze(parse(text || '{}') as unknown) };
  } catch (e) {
    entry = { doc: {}, error: e as Error };
  }
  if (text.length > MAX_KEY_CHARS / 16) return entry; // a huge payload is not worth holding
  cache.set(text, entry);
  cachedChars += text.length;
  while (cache.size > MAX_ENTRIES || cachedChars > MAX_KEY_CHARS) {
    const oldest = cache.keys().next().value!;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  return entry;
}

/** the payload's document (frozen); throws the YAML error when it does not parse */
export function readPayloadDocument(text: string): unknown {
  const entry = entryOf(text);
  if (entry.error) throw entry.error;
  return entry.doc;
}

/** the payload's parts, cached: an unparsable payload reads as an empty document; every part is frozen */
export function readJobPayload(text: string): JobPayload {
  const entry = entryOf(text);
  entry.payload ??= deepFreeze(jobPayloadOf(entry.error ? {} : entry.doc));
  return entry.payload;
}

export function readJobFacts(text: string): JobPayloadFacts {
  const entry = entryOf(text);
  entry.facts ??= factsOf(readJobPayload(text));
  return entry.facts;
}
