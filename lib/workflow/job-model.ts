// The shape of one job inside a single-job workflow document, as jobparser
// writes it: only the fields its structs know survive, string-typed fields are
// strings (timeout-minutes: 10 becomes "10"), everything that may hold
// expressions is copied without evaluation (spec §4.2 "What the single-job
// payload keeps").
import { isMapping } from './yaml-source.js';

/** Scalars that jobparser decodes into Go strings. */
export function asString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isMapping(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = asString(x) ?? '';
  return Object.keys(out).length ? out : undefined;
}

function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as T;
  return out;
}

const STEP_STRING_FIELDS = ['id', 'name', 'uses', 'run', 'working-directory', 'shell'] as const;

export function normaliseStep(raw: unknown): Record<string, unknown> | undefined {
  if (!isMapping(raw)) return undefined;
  const s: Record<string, unknown> = {};
  const id = asString(raw['id']); if (id) s['id'] = id;
  if (raw['if'] !== undefined) s['if'] = raw['if'];
  for (const f of STEP_STRING_FIELDS) {
    if (f === 'id') continue;
    const v = asString(raw[f]);
    if (v) s[f] = v;
  }
  if (raw['env'] !== undefined && raw['env'] !== null) s['env'] = raw['env'];
  const w = stringMap(raw['with']); if (w) s['with'] = w;
  // jobparser's Step.ContinueOnError is a Go bool (omitempty): the runner's schema rejects a quoted "true"
  const coe = raw['continue-on-error'];
  if (coe === true || coe === 'true') s['continue-on-error'] = true;
  else if (typeof coe === 'string' && coe && coe !== 'false') s['continue-on-error'] = coe;
  const tm = asString(raw['timeout-minutes']); if (tm) s['timeout-minutes'] = tm;
  return s;
}

/** Job-level `concurrency`: a bare string stays a string; the mapping form has string fields. */
function normaliseConcurrency(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (!isMapping(v)) return asString(v) ?? v;
  const out: Record<string, string> = {};
  const g = asString(v['group']); if (g) out['group'] = g;
  const c = asString(v['cancel-in-progress']); if (c) out['cancel-in-progress'] = c;
  return out;
}

/** The job fields that are copied verbatim; `name`, `runs-on`, `strategy` and `needs` are set by the planner. */
export function copiedJobFields(raw: Record<string, unknown>): Record<string, unknown> {
  const j: Record<string, unknown> = {};
  if (raw['env'] !== undefined && raw['env'] !== null) j['env'] = raw['env'];
  if (raw['if'] !== undefined) j['if'] = raw['if'];
  if (Array.isArray(raw['steps'])) {
    const steps = raw['steps'].map(normaliseStep).filter((s): s is Record<string, unknown> => !!s);
    if (steps.length) j['steps'] = steps;
  }
  const tm = asString(raw['timeout-minutes']); if (tm) j['timeout-minutes'] = tm;
  if (isMapping(raw['services']) && Object.keys(raw['services']).length) j['services'] = raw['services'];
  if (raw['container'] !== undefined && raw['container'] !== null) j['container'] = raw['container'];
  if (isMapping(raw['defaults']) && Object.keys(raw['defaults']).length) j['defaults'] = raw['defaults'];
  const outputs = stringMap(raw['outputs']); if (outputs) j['outputs'] = sortedKeys(outputs);
  const uses = asString(raw['uses']); if (uses) j['uses'] = uses;
  if (isMapping(raw['with']) && Object.keys(raw['with']).length) j['with'] = sortedKeys(raw['with']);
  if (raw['secrets'] !== undefined && raw['secrets'] !== null) j['secrets'] = raw['secrets'];
  const conc = normaliseConcurrency(raw['concurrency']); if (conc !== undefined) j['concurrency'] = conc;
  return j;
}

/** Go struct order of a job, so serialised payloads read like jobparser's. */
const JOB_KEY_ORDER = ['name', 'needs', 'runs-on', 'env', 'if', 'steps', 'timeout-minutes', 'services', 'strategy', 'container', 'defaults', 'outputs', 'uses', 'with', 'secrets', 'concurrency'];
export function orderJob(j: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of JOB_KEY_ORDER) if (j[k] !== undefined) out[k] = j[k];
  return out;
}

/** `needs` as a list of job ids (string → [s]). */
export function needsList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => asString(x) ?? '').filter((x) => x !== '');
  return [];
}

/** FlattenRunsOnNode: scalar → [s]; list → strings; {group, labels} → labels + [group]. */
export function flattenRunsOn(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => asString(x) ?? '').filter((x) => x !== '');
  if (isMapping(v)) {
    const labels = flattenRunsOn(v['labels']);
    const group = asString(v['group']);
    return group ? [...labels, group] : labels;
  }
  const s = asString(v);
  return s ? [s] : [];
}

/** jobparser re-encodes labels as a scalar when there is exactly one. */
export function encodeRunsOn(labels: string[]): string | string[] {
  return labels.length === 1 ? (labels[0] as string) : labels;
}
