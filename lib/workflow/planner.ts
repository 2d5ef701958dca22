// The planner: one workflow becomes one single-job workflow document per job
// and matrix combination, the way forgejo-runner's jobparser emits them
// (conformance/jobparser/README.md is the reference). Pure: reusable workflows
// come in through the fetch callback.
//
// Parsing is written on `yaml` directly rather than @actions/workflow-parser:
// the planner must keep unknown-but-harmless keys, copy nodes verbatim, and run
// in well under the ~2.5 ms the schema-validating parser costs per 200 lines.
import { WorkflowError, PreExecutionErrorCode, UnsupportedReusableWorkflowFetch } from './errors.js';
import { readYaml, isMapping } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';
import {
  makeScope, evaluateValue, interpolate, MissingNeedsError, MissingMatrixDimensionError, qualifyNeedsReferences,
} from './expressions.js';
import type { NeedsEntry, Scope, ScopeInput, Json } from './expressions.js';
import { expandMatrix, matrixName, sortCombinations, MatrixError } from './matrix.js';
import type { Combination } from './matrix.js';
import { asString, copiedJobFields, needsList, flattenRunsOn, encodeRunsOn, orderJob } from './job-model.js';
import { parseReusableRef, workflowCallId } from './reusable.js';
import type { ReusableKind, ReusableRef } from './reusable.js';

export type { ReusableKind, ReusableRef } from './reusable.js';

/** Options of `planWorkflow`; same names and "absent is not empty" rule as conformance/jobparser/cases.json. */
export interface PlanOptions {
  jobOutputs?: Record<string, Record<string, string>> | null;
  jobResults?: Record<string, string> | null;
  github?: Record<string, unknown> | null;
  inputs?: Record<string, unknown> | null;
  vars?: Record<string, unknown> | null;
  workflowNeeds?: string[] | null;
  supportIncompleteRunsOn?: boolean;
  /** Which kinds of reusable-workflow references to expand. */
  expandReusable?: ReusableKind[];
  /** Returns the content of a referenced workflow; reject with UnsupportedReusableWorkflowFetch to leave the job unexpanded. */
  fetchReusable?: (uses: string, kind: ReusableKind, ref: ReusableRef) => Promise<string>;
  /** File name used in error messages. */
  file?: string;
  /**
   * Forgejo expands a caller only when it has no `runs-on` (otherwise the runner
   * runs the called workflow inside one job). Default true.
   */
  expandOnlyWithoutRunsOn?: boolean;
}

/** One emitted single-job workflow document (plain object, what `yaml` would parse from jobparser's output). */
export type PlannedDocument = Record<string, unknown>;

export const RECURSION_LIMIT = 5;
/** GitHub's cap on matrix combinations per job (Forgejo has none; an unbounded product would flood the job table). */
export const MATRIX_LIMIT = 256;
const INCOMPLETE_SUFFIX = ' (incomplete matrix)';
const CODE = PreExecutionErrorCode.JobParsingError;

interface Level {
  depth: number;
  hashParent: string;
  stampParent: string;
  inputs: Record<string, unknown> | null;
  /** name/env/defaults of the outermost workflow (null at the top). */
  header: Record<string, unknown> | null;
  /** The `on` every document of a called workflow gets (null = none); unused at the top (null header), where the file's own applies. */
  on: { value: unknown } | null;
  /** Shared by every level of one planWorkflow call. */
  reusables: ReusableCache;
}

/**
 * Called workflows already fetched and read, by nesting depth and `uses`: a matrix
 * caller fetches once, not once per combination. The depth keeps jobparser's one
 * fetch per level for a workflow that calls itself until the recursion limit.
 */
type ReusableCache = Map<string, Promise<YamlSource>>;

type NeedsMarker = { job: string; output?: string };
interface Markers {
  matrix?: NeedsMarker | true;
  runsOn?: { needs?: NeedsMarker; matrix?: { dimension: string } };
  with?: { needs?: NeedsMarker; matrix?: { dimension: string } };
}

/** Plans a workflow (see "Contract: the planner"). */
export async function planWorkflow(content: string, options: PlanOptions = {}): Promise<PlannedDocument[]> {
  const docs = await planLevel(readYaml(content, options.file, CODE), options, {
    depth: 0, hashParent: '', stampParent: '', inputs: options.inputs ?? null, header: null, on: null, reusables: new Map(),
  });
  const seen = new Set<string>();
  for (const d of docs) {
    const id = (d['__metadata'] as Record<string, unknown> | undefined)?.['workflow_call_id'];
    if (typeof id !== 'string') continue;
    if (seen.has(id)) throw new WorkflowError(`attempted to emit multiple jobs with workflowCallID ${id}`, { file: options.file, code: CODE });
    seen.add(id);
  }
  return docs;
}

async function planLevel(src: YamlSource, options: PlanOptions, level: Level): Promise<PlannedDocument[]> {
  const file = options.file;
  const root = src.value;
  if (!isMapping(root)) throw new WorkflowError('a workflow must be a YAML mapping', { file, code: CODE });
  const meta = isMapping(root['__metadata']) ? root['__metadata'] : {};
  const depth = Math.max(level.depth, typeof meta['incomplete_recursion_depth'] === 'number' ? meta['incomplete_recursion_depth'] : 0);
  if (depth > RECURSION_LIMIT) {
    throw new WorkflowError(`failed to parse workflow due to exceeding the workflow recursion limit (${RECURSION_LIMIT})`, { code: CODE });
  }
  const hashParent = asString(meta['workflow_call_id']) ?? level.hashParent;
  const stampParent = asString(meta['workflow_call_parent']) ?? level.stampParent;
  const inputs = meta['workflow_call_parent'] ? workflowCallDefaults(root) : level.inputs;

  const header = level.header ?? { name: root['name'], env: root['env'], defaults: root['defaults'] };
  const on = level.header ? level.on : ('on' in root ? { value: root['on'] } : null);
  const workflowOidc = root['enable-openid-connect'];
  const workflowPermissions = root['permissions'];

  const jobsNode = root['jobs'];
  if (jobsNode !== undefined && jobsNode !== null && !isMapping(jobsNode)) throw src.error(['jobs'], '`jobs` must be a mapping of job ids to jobs');
  const jobs = (jobsNode ?? {}) as Record<string, unknown>;
  validateJobs(src, jobs, options.workflowNeeds ?? null);

  const knownJobs = new Set([...Object.keys(jobs), ...(options.workflowNeeds ?? [])]);
  const ctx: PlanContext = { options, depth, hashParent, inputs, src, knownJobs, on, header, reusables: level.reusables };

  const docs: PlannedDocument[] = [];
  const expansions: PlannedDocument[][] = [];
  for (const [jobId, rawJob] of Object.entries(jobs)) {
    const raw = rawJob as Record<string, unknown>;
    const oidc = raw['enable-openid-connect'] ?? workflowOidc;
    // GitHub's opt-in (`permissions: id-token: write`, job level replacing workflow level) counts as Forgejo's flag
    const permissions = raw['permissions'] !== undefined ? raw['permissions'] : workflowPermissions;
    const wantsOidc = oidc === true || oidc === 'true' || grantsIdToken(permissions);
    for (const planned of await planJob(ctx, jobId, raw)) {
      docs.push(assemble(header, on, planned, wantsOidc, depth));
      if (planned.expansion) expansions.push(planned.expansion);
    }
  }
  for (const group of expansions) docs.push(...group);
  if (stampParent) {
    for (const d of docs) {
      const m = (d['__metadata'] ??= {}) as Record<string, unknown>;
      if (!m['workflow_call_parent']) m['workflow_call_parent'] = stampParent;
    }
  }
  return docs;
}

interface PlanContext {
  options: PlanOptions;
  depth: number;
  hashParent: string;
  inputs: Record<string, unknown> | null;
  src: YamlSource;
  knownJobs: Set<string>;
  on: { value: unknown } | null;
  header: Record<string, unknown>;
  reusables: ReusableCache;
}

interface PlannedJob {
  jobId: string;
  job: Record<string, unknown>;
  markers: Markers;
  meta: Record<string, unknown>;
  expansion?: PlannedDocument[];
}

function needsContext(ctx: PlanContext, ownNeeds: string[]): Record<string, NeedsEntry> {
  const ids = ctx.options.workflowNeeds ?? ownNeeds;
  const out: Record<string, NeedsEntry> = {};
  for (const id of ids) {
    if (!ctx.knownJobs.has(id)) continue;
    out[id] = { result: ctx.options.jobResults?.[id] ?? '', outputs: ctx.options.jobOutputs?.[id] ?? {} };
  }
  return out;
}

function baseScopeInput(ctx: PlanContext, needs: Record<string, NeedsEntry>): ScopeInput {
  return { github: ctx.options.github ?? null, inputs: ctx.inputs ?? {}, vars: ctx.options.vars ?? {}, needs };
}

async function planJob(ctx: PlanContext, jobId: string, raw: Record<string, unknown>): Promise<PlannedJob[]> {
  const { options } = ctx;
  const ownNeeds = needsList(raw['needs']);
  const needs = needsContext(ctx, ownNeeds);
  const base = baseScopeInput(ctx, needs);
  const strategyRaw = isMapping(raw['strategy']) ? raw['strategy'] : undefined;
  const failFast = asString(strategyRaw?.['fail-fast']);
  const maxParallel = asString(strategyRaw?.['max-parallel']);
  const strategyCtx = { 'fail-fast': failFast === undefined ? true : failFast === 'true', 'max-parallel': maxParallel === undefined ? 0 : Number(maxParallel) };

  // 1. strategy.matrix is evaluated first (no matrix yet, strategy not initialised).
  let incompleteMatrix: NeedsMarker | true | undefined;
  let combos: Combination[] = [{}];
  let evaluatedMatrix: unknown;
  if (strategyRaw && strategyRaw['matrix'] !== undefined && strategyRaw['matrix'] !== null) {
    try {
      evaluatedMatrix = evaluateValue(strategyRaw['matrix'], makeScope({ ...base, strategy: { 'fail-fast': false, 'max-parallel': 0 } }));
    } catch (e) {
      if (e instanceof MissingNeedsError && options.jobOutputs) {
        incompleteMatrix = e.output === undefined ? { job: e.job } : { job: e.job, output: e.output };
      } else {
        throw ctx.src.error(['jobs', jobId, 'strategy', 'matrix'], `failure to evaluate strategy.matrix on job ${jobId}: ${(e as Error).message}`, CODE);
      }
    }
    if (!incompleteMatrix) {
      try {
        const expanded = expandMatrix(evaluatedMatrix);
        combos = expanded ? sortCombinations(expanded) : [{}];
        if (combos.length > MATRIX_LIMIT) {
          throw ctx.src.error(['jobs', jobId, 'strategy', 'matrix'], `the matrix of job ${jobId} has ${combos.length} combinations; the limit is ${MATRIX_LIMIT}`, CODE);
        }
      } catch (e) {
        if (e instanceof MatrixError) throw ctx.src.error(['jobs', jobId, 'strategy', 'matrix'], e.message, CODE);
        throw e;
      }
    }
  }

  const copied = copiedJobFields(raw);
  const rawName = asString(raw['name']);
  const out: PlannedJob[] = [];
  for (const combo of combos) {
    const markers: Markers = {};
    const meta: Record<string, unknown> = {};
    const job: Record<string, unknown> = { ...copied };
    if (raw['needs'] !== undefined && raw['needs'] !== null) job['needs'] = raw['needs'];
    const suffix = matrixName(combo);
    // Scopes are built lazily: most names and labels hold no expression at all.
    let lenientScope: Scope | undefined;
    const lenient = () => (lenientScope ??= makeScope({ ...base, matrix: combo, strategy: strategyCtx }));

    // 2. Name (interpolation failures give "", as Forgejo's Interpolate does).
    if (incompleteMatrix) {
      markers.matrix = incompleteMatrix;
      job['name'] = (rawName ?? jobId) + INCOMPLETE_SUFFIX;
    } else if (rawName === undefined) {
      job['name'] = suffix ? `${jobId} ${suffix}` : jobId;
    } else if (rawName.endsWith(INCOMPLETE_SUFFIX)) {
      const n = safeInterpolate(rawName.slice(0, -INCOMPLETE_SUFFIX.length), lenient);
      job['name'] = suffix ? `${n} ${suffix}` : n;
    } else {
      job['name'] = safeInterpolate(rawName, lenient);
    }

    // 3. strategy: narrowed matrix, string fail-fast / max-parallel.
    const strategy: Record<string, unknown> = {};
    if (failFast !== undefined) strategy['fail-fast'] = failFast;
    if (maxParallel !== undefined) strategy['max-parallel'] = maxParallel;
    if (incompleteMatrix) strategy['matrix'] = strategyRaw?.['matrix'];
    else if (Object.keys(combo).length) {
      const narrowed: Record<string, unknown[]> = {};
      for (const k of Object.keys(combo).sort()) narrowed[k] = [combo[k]];
      strategy['matrix'] = narrowed;
    }
    if (Object.keys(strategy).length) job['strategy'] = strategy;

    const strictInput: ScopeInput = { ...base, matrix: incompleteMatrix ? {} : combo, strictMatrix: true, strategy: strategyCtx };
    const planned: PlannedJob = { jobId, job, markers, meta };

    // 4. Reusable workflow callers.
    const uses = asString(raw['uses']);
    if (uses && !incompleteMatrix) {
      const handled = await expandCaller(ctx, planned, raw, uses, combo, ownNeeds, strictInput);
      if (handled) { out.push(planned); continue; }
    }

    // 5. runs-on.
    evaluateRunsOnInto(planned, raw['runs-on'], strictInput, lenient, options.supportIncompleteRunsOn === true);
    out.push(planned);
  }
  return out;
}

function safeInterpolate(s: string, scope: () => Scope): string {
  if (!s.includes('${{')) return s;
  try { return interpolate(s, scope()); } catch { return ''; }
}

function hasExpression(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('${{');
  if (Array.isArray(v)) return v.some(hasExpression);
  if (isMapping(v)) return Object.entries(v).some(([k, x]) => k.includes('${{') || hasExpression(x));
  return false;
}

function evaluateRunsOnInto(planned: PlannedJob, rawRunsOn: unknown, strict: ScopeInput, lenient: () => Scope, support: boolean): void {
  let labels: string[];
  if (!hasExpression(rawRunsOn)) {
    labels = flattenRunsOn(rawRunsOn);
    delete planned.markers.runsOn;
  } else if (support) {
    try {
      labels = flattenRunsOn(evaluateValue(rawRunsOn, makeScope(strict)));
      delete planned.markers.runsOn;
    } catch (e) {
      labels = flattenRunsOn(rawRunsOn);
      if (e instanceof MissingNeedsError) planned.markers.runsOn = { needs: e.output === undefined ? { job: e.job } : { job: e.job, output: e.output } };
      else if (e instanceof MissingMatrixDimensionError) planned.markers.runsOn = { matrix: { dimension: e.dimension } };
    }
  } else {
    labels = flattenRunsOn(rawRunsOn).map((l) => safeInterpolate(l, lenient));
  }
  planned.job['runs-on'] = encodeRunsOn(labels);
}

/** Expands (or marks incomplete) a reusable-workflow caller; false when the job stays an ordinary job. */
async function expandCaller(
  ctx: PlanContext, planned: PlannedJob, raw: Record<string, unknown>, uses: string,
  combo: Combination, ownNeeds: string[], strict: ScopeInput,
): Promise<boolean> {
  const { options } = ctx;
  const enabled = new Set(options.expandReusable ?? []);
  if (enabled.size === 0 || !options.fetchReusable) return false;
  const ref = parseReusableRef(uses);
  if (!ref) throw ctx.src.error(['jobs', planned.jobId, 'uses'], `\`uses\` key references invalid workflow path '${uses}'`, CODE);
  const hasRunsOn = flattenRunsOn(raw['runs-on']).length > 0;
  if (hasRunsOn && options.expandOnlyWithoutRunsOn !== false) return false;
  if (!enabled.has(ref.kind)) {
    if (ref.kind === 'external' && !hasRunsOn) {
      throw ctx.src.error(['jobs', planned.jobId, 'uses'],
        `job ${planned.jobId} calls the external reusable workflow '${uses}', which this instance does not fetch; give the job a \`runs-on\` so a runner executes it, or reference a workflow on this instance`, CODE);
    }
    return false;
  }

  const callId = workflowCallId(ctx.hashParent, planned.jobId, combo);
  const calleeFile = ref.filename ?? ref.path;
  let callee: YamlSource;
  try {
    const key = `${ctx.depth}\0${uses}`;
    let fetched = ctx.reusables.get(key);
    if (!fetched) {
      fetched = options.fetchReusable(uses, ref.kind, ref).then((content) => readYaml(content, calleeFile, CODE));
      ctx.reusables.set(key, fetched);
    }
    callee = await fetched;
  } catch (e) {
    if (e instanceof UnsupportedReusableWorkflowFetch) return false;
    throw new WorkflowError(`error expanding reusable workflow "${uses}": ${(e as Error).message}`, { file: options.file, code: CODE, cause: e });
  }
  const calleeRoot = isMapping(callee.value) ? callee.value : {};
  const workflowCall = isMapping(calleeRoot['on']) && isMapping(calleeRoot['on']['workflow_call']) ? calleeRoot['on']['workflow_call'] : {};
  const declared = isMapping(workflowCall['inputs']) ? workflowCall['inputs'] : {};

  // Inputs: caller `with` (types kept), else the declared default, else null.
  const withRaw = isMapping(raw['with']) ? raw['with'] : {};
  const values: Record<string, Json> = {};
  const withScope = makeScope(strict);
  const defaultScope = makeScope({ github: options.github ?? null, vars: options.vars ?? {} });
  for (const name of Object.keys(declared).sort()) {
    const given = withRaw[name];
    if (given !== undefined && given !== null) {
      try {
        values[name] = evaluateValue(given, withScope);
      } catch (e) {
        if (e instanceof MissingNeedsError) planned.markers.with = { needs: e.output === undefined ? { job: e.job } : { job: e.job, output: e.output } };
        else if (e instanceof MissingMatrixDimensionError) planned.markers.with = { matrix: { dimension: e.dimension } };
        else throw ctx.src.error(['jobs', planned.jobId, 'with', name], `failed to evaluate input ${name} of job ${planned.jobId}: ${(e as Error).message}`, CODE);
        planned.meta['workflow_call_id'] = callId;
        return false; // kept as is, re-planned once the needs outputs exist
      }
      continue;
    }
    const def = isMapping(declared[name]) ? (declared[name] as Record<string, unknown>)['default'] : undefined;
    let value: Json = null;
    if (def !== undefined && def !== null) {
      try { value = evaluateValue(def, defaultScope); } catch { value = null; }
    }
    values[name] = value;
  }

  let rebuiltOn: { value: unknown } | null = null;
  if (Object.keys(declared).length) {
    const inputsOn: Record<string, unknown> = {};
    for (const name of Object.keys(values)) {
      const decl = declared[name];
      const type = isMapping(decl) ? asString(decl['type']) : undefined;
      inputsOn[name] = type === undefined ? { default: values[name] } : { default: values[name], type };
    }
    rebuiltOn = { value: { workflow_call: { inputs: inputsOn } } };
  }

  let inner: PlannedDocument[];
  try {
    inner = await planLevel(callee, { ...options, file: calleeFile }, {
      depth: ctx.depth + 1, hashParent: callId, stampParent: callId, inputs: values,
      header: ctx.header, on: rebuiltOn ?? ctx.on, reusables: ctx.reusables,
    });
  } catch (e) {
    const how = ref.kind === 'local' ? 'unable to parse local workflow' : 'unable to parse remote workflow';
    const detail = e instanceof WorkflowError ? e.message : (e as Error).message;
    throw new WorkflowError(`error expanding reusable workflow "${uses}": ${how}: ${detail}`, { file: options.file, code: CODE, cause: e });
  }

  // Inner documents move under the caller: ids and needs qualified, caller needs appended.
  const innerIds: string[] = [];
  for (const d of inner) {
    const jobs = d['jobs'] as Record<string, Record<string, unknown>>;
    const [innerId, innerJob] = Object.entries(jobs)[0] as [string, Record<string, unknown>];
    const qualified = `${planned.jobId}.${innerId}`;
    const job = qualifyJob(innerJob, planned.jobId);
    const newNeeds = [...needsList(innerJob['needs']).map((n) => `${planned.jobId}.${n}`), ...ownNeeds];
    if (newNeeds.length) job['needs'] = newNeeds; else delete job['needs'];
    d['jobs'] = { [qualified]: orderJob(job) };
    for (const key of ['incomplete_matrix_needs', 'incomplete_runs_on_needs', 'incomplete_with_needs']) {
      const m = d[key] as NeedsMarker | undefined;
      if (m) d[key] = { ...m, job: `${planned.jobId}.${m.job}` };
    }
    if (d['incomplete_runs_on']) reevaluateInnerRunsOn(ctx, d, qualified);
    innerIds.push(qualified);
  }

  // The caller becomes a sentinel that keeps its place for needs and outputs.
  const job = planned.job;
  delete job['uses'];
  delete job['with'];
  job['needs'] = [...ownNeeds, ...innerIds];
  job['runs-on'] = [];
  job['if'] = false;
  const outputsDecl = isMapping(workflowCall['outputs']) ? workflowCall['outputs'] : {};
  const outputs: Record<string, string> = {};
  for (const k of Object.keys(outputsDecl).sort()) {
    const decl = outputsDecl[k];
    const value = isMapping(decl) ? asString(decl['value']) ?? '' : '';
    outputs[k] = qualifyNeedsReferences(value, planned.jobId, true);
  }
  if (Object.keys(outputs).length) job['outputs'] = outputs;
  if (Object.keys(values).length) planned.meta['workflow_call_inputs'] = values;
  planned.meta['workflow_call_id'] = callId;
  planned.expansion = inner;
  return true;
}

/** Rewrites `needs.X` in every string value of an inner job (keys untouched). */
function qualifyJob(job: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return qualifyNeedsReferences(v, prefix);
    if (Array.isArray(v)) return v.map(walk);
    if (isMapping(v)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job)) out[k] = k === 'needs' ? v : walk(v);
  return out;
}

/** An inner job whose runs-on stayed incomplete is evaluated again at this level, where its (qualified) needs are looked up. */
function reevaluateInnerRunsOn(ctx: PlanContext, d: PlannedDocument, jobId: string): void {
  const job = (d['jobs'] as Record<string, Record<string, unknown>>)[jobId] as Record<string, unknown>;
  const strategy = isMapping(job['strategy']) ? job['strategy'] : {};
  const matrix: Combination = {};
  if (isMapping(strategy['matrix'])) {
    for (const [k, v] of Object.entries(strategy['matrix'])) if (Array.isArray(v) && v.length === 1) matrix[k] = v[0];
  }
  const needs = needsContext(ctx, needsList(job['needs']));
  const planned: PlannedJob = { jobId, job, markers: {}, meta: {} };
  const strict: ScopeInput = { ...baseScopeInput(ctx, needs), matrix, strictMatrix: true };
  evaluateRunsOnInto(planned, job['runs-on'], strict, () => makeScope({ ...strict, strictMatrix: false }), true);
  for (const k of ['incomplete_runs_on', 'incomplete_runs_on_needs', 'incomplete_runs_on_matrix']) delete d[k];
  const r = planned.markers.runsOn;
  if (r) {
    d['incomplete_runs_on'] = true;
    if (r.needs) d['incomplete_runs_on_needs'] = r.needs;
    if (r.matrix) d['incomplete_runs_on_matrix'] = r.matrix;
  }
  (d['jobs'] as Record<string, unknown>)[jobId] = orderJob(job);
}

function grantsIdToken(permissions: unknown): boolean {
  return permissions === 'write-all' || (isMapping(permissions) && permissions['id-token'] === 'write');
}

/** Builds a document in jobparser's key order. */
function assemble(header: Record<string, unknown>, on: { value: unknown } | null, p: PlannedJob, oidc: boolean, depth: number): PlannedDocument {
  const d: PlannedDocument = {};
  const name = asString(header['name']);
  if (name) d['name'] = name;
  if (on) d['on'] = on.value;
  if (header['env'] !== undefined && header['env'] !== null) d['env'] = header['env'];
  d['jobs'] = { [p.jobId]: orderJob(p.job) };
  if (isMapping(header['defaults']) && Object.keys(header['defaults']).length) d['defaults'] = header['defaults'];
  if (oidc) d['enable-openid-connect'] = true;
  const m = p.markers;
  if (m.matrix) {
    d['incomplete_matrix'] = true;
    if (m.matrix !== true) d['incomplete_matrix_needs'] = m.matrix;
  }
  if (m.runsOn) {
    d['incomplete_runs_on'] = true;
    if (m.runsOn.needs) d['incomplete_runs_on_needs'] = m.runsOn.needs;
    if (m.runsOn.matrix) d['incomplete_runs_on_matrix'] = m.runsOn.matrix;
  }
  if (m.with) {
    d['incomplete_with'] = true;
    if (m.with.needs) d['incomplete_with_needs'] = m.with.needs;
    if (m.with.matrix) d['incomplete_with_matrix'] = m.with.matrix;
  }
  const meta: Record<string, unknown> = {};
  if ((m.matrix || m.runsOn || m.with) && depth > 0) meta['incomplete_recursion_depth'] = depth;
  if (p.meta['workflow_call_inputs']) meta['workflow_call_inputs'] = p.meta['workflow_call_inputs'];
  if (p.meta['workflow_call_id']) meta['workflow_call_id'] = p.meta['workflow_call_id'];
  if (Object.keys(meta).length) d['__metadata'] = meta;
  return d;
}

/** `inputs` of a re-planned reusable child: its own on.workflow_call.inputs defaults, booleans coerced. */
function workflowCallDefaults(root: Record<string, unknown>): Record<string, unknown> {
  const on = root['on'];
  const wc = isMapping(on) && isMapping(on['workflow_call']) ? on['workflow_call'] : {};
  const inputs = isMapping(wc['inputs']) ? wc['inputs'] : {};
  const out: Record<string, unknown> = {};
  for (const [k, decl] of Object.entries(inputs)) {
    if (!isMapping(decl)) { out[k] = null; continue; }
    const def = decl['default'];
    out[k] = decl['type'] === 'boolean' ? def === true || def === 'true' : (def ?? null);
  }
  return out;
}

/** Structural checks that make a workflow unplannable: job shapes, unknown needs, dependency cycles. */
function validateJobs(src: YamlSource, jobs: Record<string, unknown>, workflowNeeds: string[] | null): void {
  const ids = new Set(Object.keys(jobs));
  for (const [id, job] of Object.entries(jobs)) {
    if (!isMapping(job)) throw src.error(['jobs', id], `job ${id} must be a mapping`);
    const n = job['needs'];
    if (n !== undefined && n !== null && typeof n !== 'string' && !(Array.isArray(n) && n.every((x) => typeof x === 'string'))) {
      throw src.error(['jobs', id, 'needs'], `job ${id}: \`needs\` must be a job id or a list of job ids`);
    }
    if (job['steps'] !== undefined && job['steps'] !== null && !Array.isArray(job['steps'])) throw src.error(['jobs', id, 'steps'], `job ${id}: \`steps\` must be a list`);
    if (job['strategy'] !== undefined && job['strategy'] !== null && !isMapping(job['strategy'])) throw src.error(['jobs', id, 'strategy'], `job ${id}: \`strategy\` must be a mapping`);
    if (workflowNeeds) continue; // a re-planned document no longer holds its dependencies
    for (const need of needsList(n)) {
      if (!ids.has(need)) throw src.error(['jobs', id, 'needs'], `job ${id} needs job ${need}, which does not exist in this workflow`);
    }
  }
  if (workflowNeeds) return;
  // Depth-first search for a cycle, reporting its path.
  const state = new Map<string, 1 | 2>();
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === 2) return;
    if (s === 1) {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw src.error(['jobs', id, 'needs'], `job dependencies form a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(id, 1);
    for (const need of needsList((jobs[id] as Record<string, unknown>)['needs'])) visit(need, [...path, id]);
    state.set(id, 2);
  };
  for (const id of ids) visit(id, []);
}
