// strategy.matrix expansion with jobparser's rules (spec §4.3): cartesian
// product, exclude by partial match, include attached to every combination it
// agrees with on original keys (else appended), extras appended. The result is
// sorted by the "(v1, v2)" name string, as Forgejo lists matrix jobs.
import { isMapping } from './yaml-source.js';

export type Combination = Record<string, unknown>;

export class MatrixError extends Error {}

/** The combinations of an evaluated matrix; `null` when the value is not a matrix (then the job runs once without one). */
export function expandMatrix(matrix: unknown): Combination[] | null {
  if (!isMapping(matrix)) return null;
  const axes: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(matrix)) {
    if (k === 'include' || k === 'exclude') continue;
    if (!Array.isArray(v)) return null; // jobparser cannot decode it as map[string][]any
    axes.push([k, v]);
  }
  const axisNames = new Set(axes.map(([k]) => k));
  const include = flattenOnce(matrix['include']);
  const exclude = flattenOnce(matrix['exclude']);
  for (const ex of exclude) {
    for (const k of Object.keys(ex)) {
      if (!axisNames.has(k)) throw new MatrixError(`the workflow is not valid. Matrix exclude key "${k}" does not match any key within the matrix`);
    }
  }
  let combos: Combination[] = [];
  if (axes.length > 0) {
    combos = [{}];
    for (const [k, values] of axes) {
      const next: Combination[] = [];
      for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
      combos = next;
    }
  }
  combos = combos.filter((c) => !exclude.some((ex) => Object.entries(ex).every(([k, v]) => same(c[k], v))));
  const originals = combos.map((c) => ({ ...c }));
  const extras: Combination[] = [];
  for (const inc of include) {
    const attached = Object.keys(inc).some((k) => axisNames.has(k));
    if (!attached) { extras.push({ ...inc }); continue; }
    let matched = false;
    originals.forEach((orig, i) => {
      const agrees = Object.entries(inc).every(([k, v]) => !axisNames.has(k) || same(orig[k], v));
      if (agrees) { Object.assign(combos[i] as Combination, inc); matched = true; }
    });
    if (!matched) combos.push({ ...inc });
  }
  combos.push(...extras);
  return combos;
}

function flattenOnce(v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) return isMapping(v) ? [v] : [];
  const out: Record<string, unknown>[] = [];
  for (const item of v) {
    if (Array.isArray(item)) out.push(...item.filter(isMapping));
    else if (isMapping(item)) out.push(item);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Go's `%v` rendering, used in matrix job names. */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goValueString(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** "(v1, v2)" with keys in alphabetical order; "" for an empty combination. */
export function matrixName(c: Combination): string {
  const keys = Object.keys(c).sort();
  if (keys.length === 0) return '';
  return `(${keys.map((k) => goValueString(c[k])).join(', ')})`;
}

/** Sorted (stable) by name string, byte order like Go's string comparison. */
export function sortCombinations(combos: Combination[]): Combination[] {
  return combos
    .map((c, i) => ({ c, i, n: matrixName(c) }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : a.i - b.i))
    .map((x) => x.c);
}
