// GitHub's filter patterns for branches, tags and paths, as act's
// workflowpattern implements them (spec §2.3). Hand-written because no glob
// library agrees with them: `?` and `+` are regex quantifiers on the previous
// character, `**/` may match nothing, `[]` only takes alphanumerics and ranges
// (picomatch/minimatch got 26/23 of 29 documented examples right).

export class PatternError extends Error {}

const cache = new Map<string, RegExp>();

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? `\\${c}` : c;
}

/** Compiles one pattern (without its leading `!`) to an anchored RegExp. */
export function patternToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const fail = (pos: number, why: string) => new PatternError(`invalid Pattern '${pattern}': Position: ${pos} Error: ${why}`);
  let re = '^';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        if (pattern[i + 2] === '/') { re += '(.+/)?'; i += 3; } else { re += '.*'; i += 2; }
      } else { re += '[^/]*'; i += 1; }
    } else if (c === '?' || c === '+') {
      re += i === 0 ? escapeChar(c) : c;
      i += 1;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw fail(i, 'missing closing bracket');
      const body = pattern.slice(i + 1, end);
      if (body === '') throw fail(i, 'empty character class');
      if (!/^(?:[A-Za-z0-9](?:-[A-Za-z0-9])?)+$/.test(body)) throw fail(i, 'only alphanumeric characters and ranges are allowed inside []');
      for (const m of body.matchAll(/([A-Za-z0-9])-([A-Za-z0-9])/g)) {
        const [, a, b] = m as unknown as [string, string, string];
        const digits = /[0-9]/.test(a) && /[0-9]/.test(b);
        const letters = /[A-Za-z]/.test(a) && /[A-Za-z]/.test(b);
        if ((!digits && !letters) || a > b) throw fail(i, `invalid range ${a}-${b}`);
      }
      re += `[${body}]`;
      i = end + 1;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) throw fail(i, 'dangling escape');
      re += escapeChar(pattern[i + 1] as string);
      i += 2;
    } else {
      re += escapeChar(c);
      i += 1;
    }
  }
  const compiled = new RegExp(`${re}$`);
  if (cache.size > 2000) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

interface Compiled { negative: boolean; re: RegExp }
function compileAll(patterns: string[]): Compiled[] {
  return patterns.map((p) => {
    const negative = p.startsWith('!');
    return { negative, re: patternToRegExp(negative ? p.slice(1) : p) };
  });
}

/**
 * Positive filters (`branches`, `tags`, `paths`): the last matching pattern
 * decides per input; true when some input is included. No patterns: true; no inputs: false.
 */
export function matchesPositive(patterns: string[], inputs: string[]): boolean {
  if (patterns.length === 0) return true;
  if (inputs.length === 0) return false;
  const compiled = compileAll(patterns);
  return inputs.some((input) => {
    let included = false;
    for (const p of compiled) if (p.re.test(input)) included = !p.negative;
    return included;
  });
}

/**
 * Ignore filters (`*-ignore`): an input is ignored when some pattern "hits"
 * (matches, or for `!p` does not match); true (event still matches) unless every input is ignored.
 * No patterns: true; no inputs: false. A `!p` here does not un-ignore (act's Filter).
 */
export function matchesIgnore(patterns: string[], inputs: string[]): boolean {
  if (patterns.length === 0) return true;
  if (inputs.length === 0) return false;
  const compiled = compileAll(patterns);
  return !inputs.every((input) => compiled.some((p) => p.re.test(input) === !p.negative));
}

/** gobwas/glob with '/' as separator, used for activity `types` (`*`, `?`, `[...]`, `{a,b}`). */
export function typeGlobToRegExp(glob: string): RegExp {
  let re = '^';
  let inAlt = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') { re += '.*'; i++; } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') { re += '(?:'; inAlt++; }
    else if (c === '}' && inAlt > 0) { re += ')'; inAlt--; }
    else if (c === ',' && inAlt > 0) re += '|';
    else if (c === '\\' && i + 1 < glob.length) { re += escapeChar(glob[i + 1] as string); i++; }
    else re += escapeChar(c);
  }
  try {
    return new RegExp(`${re}$`);
  } catch (e) {
    // an unclosed `{` or a reversed range: the workflow's problem, not a reason to stop detecting the others
    throw new PatternError(`invalid activity type pattern '${glob}': ${(e as Error).message.split(': ').pop()}`);
  }
}
