// The steps of a job's single-job workflow document, as the runner will number
// them (0..n-1 in YAML order), named the way act names them.
import { readPayloadDocument } from '../job-facts.js';
import { ActionsError } from '../errors.js';
import { truncateBytes } from '../text.js';

export const MAX_NAME_BYTES = 255;

/** Forgejo's SplitStringAtByteN(s, 255) for step and runner names */
export function truncateName(name: string): string {
  return truncateBytes(name, MAX_NAME_BYTES);
}

function stepName(step: Record<string, unknown>, index: number): string {
  for (const key of ['name', 'uses', 'run', 'id']) {
    const v = step[key];
    if (typeof v === 'string' && v !== '') return truncateName(v);
    if (v !== undefined && v !== null && typeof v !== 'object' && String(v) !== '') return truncateName(String(v));
  }
  return `step ${index}`;
}

/** the payload's YAML document (cached, frozen); throws (internal) when it does not parse */
export function parseWorkflowPayload(jobId: number, workflowPayload: string): unknown {
  try {
    return readPayloadDocument(workflowPayload);
  } catch (e) {
    throw new ActionsError('internal', `pick task: workflow of job ${jobId}: ${(e as Error).message}`);
  }
}

/** step names of the job in its parsed payload; throws (internal, as Forgejo) when it is not a single-job workflow */
export function stepNamesOf(jobId: number, doc: unknown): string[] {
  const jobs = (doc as { jobs?: unknown } | null)?.jobs;
  const entries = jobs && typeof jobs === 'object' ? Object.values(jobs as Record<string, unknown>) : [];
  if (entries.length !== 1) throw new ActionsError('internal', `pick task: workflow of job ${jobId}: not single workflow`);
  const steps = (entries[0] as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.map((s, i) => stepName((s ?? {}) as Record<string, unknown>, i));
}
