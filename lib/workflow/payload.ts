// What run creation stores per job: the serialised single-job document
// (`workflow_payload`, with `needs` erased as Forgejo's EraseNeeds does) and the
// columns derived from it.
import { Document, isScalar, isMap } from 'yaml';
import { planWorkflow } from './planner.js';
import type { PlanOptions, PlannedDocument } from './planner.js';
import { asString, flattenRunsOn, needsList } from './job-model.js';
import { isMapping } from './yaml-source.js';
import { makeScope, evaluateValue } from './expressions.js';

/** One planned job as the run-lifecycle code stores it. */
export interface PlannedJob {
  /** Job key: `build`, or `caller.inner` for reusable-workflow jobs. */
  jobId: string;
  /** Display name, de-duplicated within one plan (`name`, `name-1`, …). */
  name: string;
  /** Job keys this job waits for (read before they are erased from the payload). */
  needs: string[];
  /** Flattened labels; an unevaluated (incomplete) expression is kept verbatim; callers have []. */
  runsOn: string[];
  /** The job-level `if` text ('' when absent); the runner evaluates it. */
  if: string;
  incompleteMatrix: boolean;
  incompleteRunsOn: boolean;
  incompleteWith: boolean;
  /** A reusable-workflow caller placeholder (never sent to a runner; completes with its inner jobs). */
  isCaller: boolean;
  /** Job-level concurrency, evaluated best-effort (Forgejo stores but does not enforce it). */
  concurrency?: { group: string; cancelInProgress: boolean };
  /** The YAML stored as the job's workflow_payload. */
  payload: string;
  /** The emitted document (with needs). */
  document: PlannedDocument;
}

/** The only job of a single-job document: [jobId, job]. */
export function singleJob(doc: PlannedDocument): [string, Record<string, unknown>] {
  const jobs = doc['jobs'];
  const first = isMapping(jobs) ? Object.entries(jobs)[0] : undefined;
  if (!first || !isMapping(first[1])) throw new Error('not a single-job workflow document');
  return [first[0], first[1]];
}

/** Serialises a document as jobparser's text form (2-space indent, `"on":` quoted); `needs` erased unless keepNeeds. */
export function serializePayload(doc: PlannedDocument, { keepNeeds = false }: { keepNeeds?: boolean } = {}): string {
  let value = doc;
  if (!keepNeeds) {
    const [id, job] = singleJob(doc);
    const { needs: _erased, ...rest } = job;
    value = { ...doc, jobs: { [id]: rest } };
  }
  const yamlDoc = new Document(value);
  if (isMap(yamlDoc.contents)) {
    for (const pair of yamlDoc.contents.items) {
      if (isScalar(pair.key) && pair.key.value === 'on') pair.key.type = 'QUOTE_DOUBLE';
    }
  }
  return yamlDoc.toString({ indent: 2, lineWidth: 0, indentSeq: true });
}

/** Columns of one emitted document. */
export function describeDocument(doc: PlannedDocument, options: Pick<PlanOptions, 'github' | 'vars' | 'inputs'> = {}): Omit<PlannedJob, 'name'> & { name: string } {
  const [jobId, job] = singleJob(doc);
  const meta = isMapping(doc['__metadata']) ? doc['__metadata'] : {};
  const isCaller = typeof meta['workflow_call_id'] === 'string' && job['uses'] === undefined;
  const out: PlannedJob = {
    jobId,
    name: asString(job['name']) ?? jobId,
    needs: needsList(job['needs']),
    runsOn: flattenRunsOn(job['runs-on']),
    if: job['if'] === undefined || job['if'] === null ? '' : String(job['if']),
    incompleteMatrix: doc['incomplete_matrix'] === true,
    incompleteRunsOn: doc['incomplete_runs_on'] === true,
    incompleteWith: doc['incomplete_with'] === true,
    isCaller,
    payload: serializePayload(doc),
    document: doc,
  };
  const conc = jobConcurrency(job, options);
  if (conc) out.concurrency = conc;
  return out;
}

function jobConcurrency(job: Record<string, unknown>, options: Pick<PlanOptions, 'github' | 'vars' | 'inputs'>): PlannedJob['concurrency'] {
  const c = job['concurrency'];
  if (c === undefined || c === null) return undefined;
  const strategy = isMapping(job['strategy']) ? job['strategy'] : {};
  const matrix: Record<string, unknown> = {};
  if (isMapping(strategy['matrix'])) for (const [k, v] of Object.entries(strategy['matrix'])) if (Array.isArray(v) && v.length === 1) matrix[k] = v[0];
  const scope = makeScope({ github: options.github ?? null, vars: options.vars ?? {}, inputs: options.inputs ?? {}, matrix });
  try {
    const group = isMapping(c) ? c['group'] : c;
    const cancel = isMapping(c) ? c['cancel-in-progress'] : undefined;
    const g = group === undefined ? '' : String(evaluateValue(group, scope) ?? '');
    const ci = cancel === undefined ? '' : String(evaluateValue(cancel, scope) ?? '');
    return { group: g.toLowerCase(), cancelInProgress: ci === 'true' };
  } catch {
    return undefined;
  }
}

/** Plans a workflow and describes each job; identical names become `name-1`, `name-2` (Forgejo's JobParser, initial parse only). */
export async function planJobs(content: string, options: PlanOptions & { dedupeNames?: boolean } = {}): Promise<PlannedJob[]> {
  const docs = await planWorkflow(content, options);
  const jobs = docs.map((d) => describeDocument(d, options));
  if (options.dedupeNames !== false) {
    const seen = new Map<string, number>();
    for (const j of jobs) {
      const n = seen.get(j.name) ?? 0;
      seen.set(j.name, n + 1);
      if (n > 0) j.name = `${j.name}-${n}`;
    }
  }
  return jobs;
}
