// Reusable-workflow references (`jobs.<id>.uses`) and the pieces of their
// expansion that do not depend on the planner: reference parsing, call ids.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Combination } from './matrix.js';

export type ReusableKind = 'local' | 'instance' | 'external';

export interface ReusableRef {
  kind: ReusableKind;
  /** The raw `uses:` string. */
  uses: string;
  /** local: the path as written (`./.forgejo/workflows/x.yml`). */
  path?: string;
  /** instance/external: the parsed parts. */
  baseURL?: string;
  org?: string;
  repo?: string;
  gitPlatform?: string;
  filename?: string;
  ref?: string;
}

const LOCAL = /^\.\/.+\.ya?ml$/;
// act's remote form: at least two slashes before a .yml/.yaml file, then @ref.
const REMOTE = /^[^.](.+?\/){2,}.+\.ya?ml@/;
const PARTS = /^(?:(https?:\/\/[^/]+)\/)?([^/]+)\/([^/]+)\/\.([^/]+)\/workflows\/([^@]+)@(.+)$/;

/** Classifies a job-level `uses:`; null when it is not a workflow reference (a fatal error once any fetcher is installed). */
export function parseReusableRef(uses: string): ReusableRef | null {
  if (LOCAL.test(uses)) return { kind: 'local', uses, path: uses };
  if (!REMOTE.test(uses)) return null;
  const m = PARTS.exec(uses);
  if (!m) return null;
  const [, baseURL, org, repo, gitPlatform, filename, ref] = m;
  return { kind: baseURL ? 'external' : 'instance', uses, baseURL, org, repo, gitPlatform, filename, ref };
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const AMBIGUOUS = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
/** Go yaml.v3's encoding of one value; plain strings take a fast path (stringify builds a whole Document). */
function yamlScalar(v: unknown): string {
  if (typeof v === 'string' && PLAIN.test(v) && !AMBIGUOUS.test(v)) return `${v}\n`;
  return stringify(v);
}

/**
 * The unique id of one expanded call: sha256 over the parent id, the caller's
 * job id and each matrix key/value (YAML-encoded), NUL-separated.
 */
export function workflowCallId(parent: string, jobId: string, combination: Combination): string {
  const h = createHash('sha256');
  h.update(parent); h.update('\0');
  h.update(jobId); h.update('\0');
  for (const k of Object.keys(combination).sort()) {
    h.update(k); h.update('\0');
    h.update(yamlScalar(combination[k])); h.update('\0');
  }
  return h.digest('hex');
}
