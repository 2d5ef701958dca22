// `${{ }}` handling for planning time. Parsing and evaluation are GitHub's
// @actions/expressions; this module adds what it lacks: the status functions,
// Forgejo's context names and aliases, detection of references to missing
// `needs` outputs / matrix dimensions (jobparser's "incomplete" cases), the
// template splitter, and an AST printer used to rewrite `needs.X` inside
// reusable workflows (the library has no printer).
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { ContextAccess, FunctionCall, Grouping, IndexAccess, Literal, Logical, Binary, Star, Unary } from '@actions/expressions/ast';
import type { Expr } from '@actions/expressions/ast';
import { TokenType } from '@actions/expressions/lexer';
import type { Token } from '@actions/expressions/lexer';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every context name an expression may mention at planning time (others are a parse error, as in Forgejo). */
const CONTEXT_NAMES = ['github', 'gitea', 'forge', 'forgejo', 'inputs', 'vars', 'needs', 'matrix', 'strategy', 'env', 'steps', 'runner', 'secrets', 'job', 'jobs'];
const GIT_ALIASES = ['github', 'gitea', 'forge', 'forgejo'];

export type JobStatus = 'success' | 'failure' | 'cancelled';

/** A `needs.<job>` lookup for a job that is not available. */
export class MissingNeedsError extends Error {
  constructor(readonly job: string, readonly output?: string) {
    super(output === undefined ? `job ${job} is not available in the needs context` : `job ${job} has no output ${output}`);
  }
}
/** A `matrix.<dim>` lookup for a dimension the combination does not have. */
export class MissingMatrixDimensionError extends Error {
  constructor(readonly dimension: string) {
    super(`matrix dimension ${dimension} does not exist`);
  }
}

/** A dictionary that reports misses instead of answering null, so the planner can tell "incomplete" from "empty". */
class ReportingDictionary extends data.Dictionary {
  onMiss: ((key: string) => never) | undefined;
  override get(key: string): data.ExpressionData | undefined {
    const v = super.get(key);
    if (v === undefined && this.onMiss) this.onMiss(key);
    return v;
  }
}

export interface NeedsEntry { result: string; outputs: Record<string, string> }

export interface ScopeInput {
  github?: Record<string, unknown> | null;
  inputs?: Record<string, unknown> | null;
  vars?: Record<string, unknown> | null;
  /** When set, `needs.X` for an absent X and `needs.X.outputs.Y` for an absent Y throw MissingNeedsError. */
  needs?: Record<string, NeedsEntry> | null;
  matrix?: Record<string, unknown> | null;
  /** When true, `matrix.<dim>` for an absent dimension throws MissingMatrixDimensionError. */
  strictMatrix?: boolean;
  strategy?: Record<string, unknown> | null;
  status?: JobStatus;
  secrets?: Record<string, unknown> | null;
}

/** A prepared evaluation scope (contexts converted once, reused for every expression). */
export interface Scope { dict: data.Dictionary; status: JobStatus }

export function toData(v: unknown): data.ExpressionData {
  if (v === null || v === undefined) return new data.Null();
  switch (typeof v) {
    case 'string': return new data.StringData(v);
    case 'number': return new data.NumberData(v);
    case 'boolean': return new data.BooleanData(v);
    case 'object':
      if (Array.isArray(v)) return new data.Array(...v.map(toData));
      return new data.Dictionary(...Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, value: toData(value) })));
    default: return new data.StringData(String(v));
  }
}

export function fromData(d: data.ExpressionData): Json {
  switch (d.kind) {
    case data.Kind.Null: return null;
    case data.Kind.String: return (d as data.StringData).value;
    case data.Kind.Number: return (d as data.NumberData).value;
    case data.Kind.Boolean: return (d as data.BooleanData).value;
    case data.Kind.Array: return (d as data.Array).values().map(fromData);
    default: {
      const o: Record<string, Json> = {};
      for (const { key, value } of (d as data.Dictionary).pairs()) o[key] = fromData(value);
      return o;
    }
  }
}

function needsData(needs: Record<string, NeedsEntry>): data.Dictionary {
  const root = new ReportingDictionary();
  for (const [job, entry] of Object.entries(needs)) {
    const outputs = new ReportingDictionary();
    for (const [k, v] of Object.entries(entry.outputs)) outputs.add(k, new data.StringData(String(v)));
    outputs.onMiss = (key) => { throw new MissingNeedsError(job, key); };
    root.add(job, new data.Dictionary({ key: 'result', value: new data.StringData(entry.result) }, { key: 'outputs', value: outputs }));
  }
  root.onMiss = (key) => { throw new MissingNeedsError(key); };
  return root;
}

/** Builds a scope; absent contexts are null (so `github.ref` is '' when Forgejo passes no git context). */
export function makeScope(s: ScopeInput): Scope {
  const dict = new data.Dictionary();
  const git = s.github ? toData(s.github) : new data.Null();
  for (const alias of GIT_ALIASES) dict.add(alias, git);
  dict.add('inputs', toData(s.inputs ?? {}));
  dict.add('vars', toData(s.vars ?? {}));
  dict.add('needs', s.needs ? needsData(s.needs) : new data.Dictionary());
  let matrix: data.Dictionary;
  if (s.strictMatrix) {
    const m = new ReportingDictionary();
    for (const [k, v] of Object.entries(s.matrix ?? {})) m.add(k, toData(v));
    m.onMiss = (key) => { throw new MissingMatrixDimensionError(key); };
    matrix = m;
  } else matrix = toData(s.matrix ?? {}) as data.Dictionary;
  dict.add('matrix', matrix);
  dict.add('strategy', toData(s.strategy ?? {}));
  dict.add('secrets', s.secrets ? toData(s.secrets) : new data.Null());
  for (const name of ['env', 'steps', 'runner', 'job', 'jobs']) dict.add(name, new data.Null());
  return { dict, status: s.status ?? 'success' };
}

const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'].map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
function statusFunctions(status: JobStatus): Map<string, FunctionDefinition> {
  const b = (v: boolean) => () => new data.BooleanData(v);
  return new Map<string, FunctionDefinition>([
    ['success', { name: 'success', minArgs: 0, maxArgs: 0, call: b(status === 'success') }],
    ['failure', { name: 'failure', minArgs: 0, maxArgs: 0, call: b(status === 'failure') }],
    ['cancelled', { name: 'cancelled', minArgs: 0, maxArgs: 0, call: b(status === 'cancelled') }],
    ['always', { name: 'always', minArgs: 0, maxArgs: 0, call: b(true) }],
  ]);
}
const STATUS_IMPLS: Record<JobStatus, Map<string, FunctionDefinition>> = {
  success: statusFunctions('success'),
  failure: statusFunctions('failure'),
  cancelled: statusFunctions('cancelled'),
};

// Parsed expressions are cached: the same `${{ matrix.os }}` appears in every
// matrix combination and every plan of the same file.
const astCache = new Map<string, Expr | null>();
export function parseExpression(expr: string): Expr | null {
  let ast = astCache.get(expr);
  if (ast === undefined) {
    ast = new Parser(new Lexer(expr).lex().tokens, CONTEXT_NAMES, STATUS_FUNCTIONS).parse() ?? null;
    if (astCache.size > 5000) astCache.clear();
    astCache.set(expr, ast);
  }
  return ast;
}

export function evaluateAst(ast: Expr | null, scope: Scope): data.ExpressionData {
  if (!ast) return new data.Null();
  return new Evaluator(ast, scope.dict, STATUS_IMPLS[scope.status]).evaluate();
}

/** Evaluates one expression (the text between `${{` and `}}`) to a plain JS value. */
export function evaluateExpression(expr: string, scope: Scope): Json {
  return fromData(evaluateAst(parseExpression(expr), scope));
}

export type TemplatePart = { text: string } | { expr: string };

/** Splits a string into literal text and `${{ }}` parts; null when it holds no expression. Quotes inside expressions may contain `}}`. */
export function splitTemplate(s: string): TemplatePart[] | null {
  let start = s.indexOf('${{');
  if (start < 0) return null;
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (start >= 0) {
    if (start > pos) parts.push({ text: s.slice(pos, start) });
    let i = start + 3;
    let inString = false;
    let end = -1;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === "'") inString = !inString;
      else if (!inString && c === '}' && s[i + 1] === '}') { end = i; break; }
    }
    if (end < 0) throw new Error(`unclosed expression: '${s.slice(start)}'`);
    parts.push({ expr: s.slice(start + 3, end).trim() });
    pos = end + 2;
    start = s.indexOf('${{', pos);
  }
  if (pos < s.length) parts.push({ text: s.slice(pos) });
  return parts;
}

/** A whole-value expression keeps its type (arrays for runs-on, mappings for matrix); mixed text becomes a string. */
export function evaluateTemplate(s: string, scope: Scope): Json {
  const parts = splitTemplate(s);
  if (!parts) return s;
  const only = parts[0];
  if (parts.length === 1 && only && 'expr' in only) return evaluateExpression(only.expr, scope);
  let out = '';
  for (const p of parts) out += 'text' in p ? p.text : evaluateAst(parseExpression(p.expr), scope).coerceString();
  return out;
}

/** String interpolation (job names, labels): always a string. */
export function interpolate(s: string, scope: Scope): string {
  const v = evaluateTemplate(s, scope);
  if (typeof v === 'string') return v;
  return toData(v).coerceString();
}

/**
 * Evaluates every expression in a YAML value. A whole-expression element of a
 * list that yields a list is spliced into it (act's EvaluateYamlNode).
 */
export function evaluateValue(v: unknown, scope: Scope): Json {
  if (typeof v === 'string') return evaluateTemplate(v, scope);
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const item of v) {
      const r = evaluateValue(item, scope);
      if (Array.isArray(r) && typeof item === 'string' && !Array.isArray(item)) out.push(...r);
      else out.push(r);
    }
    return out;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) o[interpolate(k, scope)] = evaluateValue(val, scope);
    return o;
  }
  return (v ?? null) as Json;
}

// ---------------------------------------------------------------------------
// Rewriting `needs.X` / `jobs.X` for reusable workflows (jobparser's mutator).
// The text format is fixed by the conformance data: `, ` between arguments,
// single-quoted strings with '' escapes, one `format()` for mixed text.

function synthToken(type: TokenType, lexeme: string, value?: string | number | boolean): Token {
  const pos = { line: 0, column: 0 };
  return { type, lexeme, value, range: { start: pos, end: pos } };
}
function stringLiteral(s: string): Literal {
  return new Literal(new data.StringData(s), synthToken(TokenType.STRING, `'${s.replace(/'/g, "''")}'`, s));
}
function qualifiedIndex(prefix: string, inner: Expr): FunctionCall {
  return new FunctionCall(synthToken(TokenType.IDENTIFIER, 'format'), [stringLiteral('{0}.{1}'), stringLiteral(prefix), inner]);
}

/** Renders an AST back to expression text. */
export function printExpression(e: Expr): string {
  if (e instanceof Literal) {
    const d = e.literal;
    switch (d.kind) {
      case data.Kind.String: return `'${(d as data.StringData).value.replace(/'/g, "''")}'`;
      case data.Kind.Null: return 'null';
      case data.Kind.Boolean: return String((d as data.BooleanData).value);
      case data.Kind.Number: return e.token.lexeme || String((d as data.NumberData).value);
      default: return e.token.lexeme;
    }
  }
  if (e instanceof Unary) return `${e.operator.lexeme}${printExpression(e.expr)}`;
  if (e instanceof Binary) return `${printExpression(e.left)} ${e.operator.lexeme} ${printExpression(e.right)}`;
  if (e instanceof Logical) return e.args.map(printExpression).join(` ${e.operator.lexeme} `);
  if (e instanceof Grouping) return `(${printExpression(e.group)})`;
  if (e instanceof ContextAccess) return e.name.lexeme;
  if (e instanceof IndexAccess) {
    const target = printExpression(e.expr);
    if (e.index instanceof Star) return `${target}.*`;
    if (e.index instanceof Literal && e.index.token.type === TokenType.IDENTIFIER) return `${target}.${e.index.token.lexeme}`;
    return `${target}[${printExpression(e.index)}]`;
  }
  if (e instanceof FunctionCall) return `${e.functionName.lexeme}(${e.args.map(printExpression).join(', ')})`;
  return '';
}

/** Rewrites `needs.X` (and, for outputs, `jobs.X`) to `needs[format('{0}.{1}', prefix, X)]`; returns null when nothing applied. */
function rewriteAst(e: Expr, prefix: string, contexts: Set<string>): Expr | null {
  if (e instanceof IndexAccess) {
    if (e.expr instanceof ContextAccess && contexts.has(e.expr.name.lexeme.toLowerCase())) {
      const idx = e.index;
      const isKey = (idx instanceof Literal && idx.literal.kind === data.Kind.String) || idx instanceof FunctionCall;
      if (isKey) return new IndexAccess(new ContextAccess(synthToken(TokenType.IDENTIFIER, 'needs')), qualifiedIndex(prefix, idx));
    }
    const inner = rewriteAst(e.expr, prefix, contexts);
    const index = e.index instanceof Literal ? null : rewriteAst(e.index, prefix, contexts);
    if (!inner && !index) return null;
    return new IndexAccess(inner ?? e.expr, index ?? e.index);
  }
  if (e instanceof FunctionCall) {
    let changed = false;
    const args = e.args.map((a) => { const r = rewriteAst(a, prefix, contexts); if (r) changed = true; return r ?? a; });
    return changed ? new FunctionCall(e.functionName, args) : null;
  }
  if (e instanceof Logical) {
    let changed = false;
    const args = e.args.map((a) => { const r = rewriteAst(a, prefix, contexts); if (r) changed = true; return r ?? a; });
    return changed ? new Logical(e.operator, args) : null;
  }
  if (e instanceof Binary) {
    const l = rewriteAst(e.left, prefix, contexts);
    const r = rewriteAst(e.right, prefix, contexts);
    return l || r ? new Binary(l ?? e.left, e.operator, r ?? e.right) : null;
  }
  if (e instanceof Unary) { const r = rewriteAst(e.expr, prefix, contexts); return r ? new Unary(e.operator, r) : null; }
  if (e instanceof Grouping) { const r = rewriteAst(e.group, prefix, contexts); return r ? new Grouping(r) : null; }
  return null;
}

const NEEDS_ONLY = new Set(['needs']);
const NEEDS_AND_JOBS = new Set(['needs', 'jobs']);

/**
 * Qualifies job references in a string for jobs moved under a reusable-workflow
 * caller. Returns the string unchanged (same text) when no reference is found.
 */
export function qualifyNeedsReferences(s: string, prefix: string, alsoJobs = false): string {
  if (!s.includes('${{')) return s;
  let parts: TemplatePart[] | null;
  try { parts = splitTemplate(s); } catch { return s; }
  if (!parts) return s;
  const contexts = alsoJobs ? NEEDS_AND_JOBS : NEEDS_ONLY;
  let changed = false;
  const exprs: Expr[] = [];
  for (const p of parts) {
    if (!('expr' in p)) continue;
    let ast: Expr | null;
    try { ast = parseExpression(p.expr); } catch { return s; }
    if (!ast) return s;
    const r = rewriteAst(ast, prefix, contexts);
    if (r) changed = true;
    exprs.push(r ?? ast);
  }
  if (!changed) return s;
  const first = parts[0];
  if (parts.length === 1 && first && 'expr' in first && exprs[0]) return `\${{ ${printExpression(exprs[0])} }}`;
  let fmt = '';
  let n = 0;
  for (const p of parts) {
    if ('text' in p) fmt += p.text.replace(/\{/g, '{{').replace(/\}/g, '}}');
    else fmt += `{${n++}}`;
  }
  const call = new FunctionCall(synthToken(TokenType.IDENTIFIER, 'format'), [stringLiteral(fmt), ...exprs]);
  return `\${{ ${printExpression(call)} }}`;
}
