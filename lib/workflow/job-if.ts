// Job-level `if:` semantics (job-lifecycle §2.4): an implicit success() unless
// the condition calls a status function; success()/failure()/cancelled() look at
// the results of the job's needs. The server itself only asks "is `if` empty?";
// this evaluator is for callers that want the runner's answer.
import { data } from '@actions/expressions';
import { FunctionCall } from '@actions/expressions/ast';
import type { Expr } from '@actions/expressions/ast';
import { Evaluator } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import { makeScope, parseExpression, splitTemplate, toData } from './expressions.js';
import { WorkflowError } from './errors.js';

export interface JobIfContext {
  needs?: Record<string, { result: string; outputs?: Record<string, string> }>;
  github?: Record<string, unknown> | null;
  vars?: Record<string, unknown> | null;
  inputs?: Record<string, unknown> | null;
  matrix?: Record<string, unknown> | null;
  /** Overrides the status derived from needs (e.g. 'cancelled' when the run was cancelled). */
  status?: 'success' | 'failure' | 'cancelled';
}

const STATUS_NAMES = new Set(['success', 'failure', 'always', 'cancelled']);

function callsStatusFunction(e: Expr | null): boolean {
  if (!e) return false;
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    if (n instanceof FunctionCall && STATUS_NAMES.has(n.functionName.lexeme.toLowerCase())) { found = true; return; }
    for (const v of Object.values(n)) {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object' && !('kind' in v) && !('lexeme' in v)) visit(v);
    }
  };
  visit(e);
  return found;
}

/** Evaluates a job-level `if` against needs results; true means the job runs. */
export function evaluateJobIf(ifExpr: string | boolean | null | undefined, ctx: JobIfContext = {}): boolean {
  if (typeof ifExpr === 'boolean') return ifExpr && statusOf(ctx) === 'success';
  let expr = (ifExpr ?? '').trim();
  const parts = expr ? splitTemplate(expr) : null;
  const first = parts?.[0];
  if (parts && parts.length === 1 && first && 'expr' in first) expr = first.expr;
  if (expr === '') expr = 'success()';
  let ast: Expr | null;
  try { ast = parseExpression(expr); } catch (e) { throw new WorkflowError(`invalid job condition '${expr}': ${(e as Error).message}`); }
  if (!callsStatusFunction(ast)) ast = parseExpression(`success() && (${expr})`);
  const results = Object.values(ctx.needs ?? {}).map((n) => n.result);
  const status = statusOf(ctx);
  const fn = (name: string, v: boolean): [string, FunctionDefinition] => [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(v) }];
  const functions = new Map<string, FunctionDefinition>([
    fn('success', status === 'success' && results.every((r) => r === 'success')),
    fn('failure', status === 'failure' || results.some((r) => r === 'failure')),
    fn('cancelled', status === 'cancelled'),
    fn('always', true),
  ]);
  const needs: Record<string, { result: string; outputs: Record<string, string> }> = {};
  for (const [k, v] of Object.entries(ctx.needs ?? {})) needs[k] = { result: v.result, outputs: v.outputs ?? {} };
  const scope = makeScope({ github: ctx.github ?? null, vars: ctx.vars ?? {}, inputs: ctx.inputs ?? {}, matrix: ctx.matrix ?? {} });
  // makeScope's needs report misses (for planning); here a missing need is simply null.
  const dict = new data.Dictionary({ key: 'needs', value: toData(needs) }, ...scope.dict.pairs().filter((p) => p.key !== 'needs'));
  let result: data.ExpressionData;
  try {
    result = new Evaluator(ast as Expr, dict, functions).evaluate();
  } catch (e) {
    throw new WorkflowError(`failed to evaluate job condition '${expr}': ${(e as Error).message}`);
  }
  return truthy(result);
}

function statusOf(ctx: JobIfContext): 'success' | 'failure' | 'cancelled' {
  if (ctx.status) return ctx.status;
  const results = Object.values(ctx.needs ?? {}).map((n) => n.result);
  if (results.includes('cancelled')) return 'cancelled';
  if (results.includes('failure')) return 'failure';
  return 'success';
}
