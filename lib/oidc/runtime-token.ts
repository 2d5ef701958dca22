// ACTIONS_RUNTIME_TOKEN (`gitea_runtime_token`): an HS256 JWT with Forgejo's
// claims (job-lifecycle §8.1), signed with a key derived from the master key.
// It authenticates the id-token endpoint and, for the host, API calls.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Deps } from '../deps.js';
import { deriveKey, secretKeyOf } from '../sealed.js';

export const RUNTIME_TOKEN_LIFETIME_S = 24 * 3600;
/** cache write for the buildx/GHA cache, Forgejo's fixed value */
const CACHE_ACCESS = JSON.stringify([{ Scope: '', Permission: 2 }]);

export interface RuntimeTokenInput {
  taskId: number;
  runId: number;
  /** the job row id */
  jobId: number;
  /** present when the job may request an id-token */
  oidc?: { extra: Record<string, string>; sub: string };
}

export interface RuntimeTokenClaims {
  taskId: number;
  runId: number;
  jobId: number;
  scopes: string[];
  oidcExtra?: Record<string, string>;
  oidcSub?: string;
}

function key(deps: Pick<Deps, 'config'>): Uint8Array {
  return deriveKey(secretKeyOf(deps), 'runtime_token');
}

export async function createRuntimeToken(deps: Pick<Deps, 'config' | 'clock'>, input: RuntimeTokenInput): Promise<string> {
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  let scp = `Actions.Results:${input.runId}:${input.jobId}`;
  if (input.oidc) scp += ` generate_id_token:${input.runId}:${input.jobId}`;
  const claims: Record<string, unknown> = {
    scp,
    TaskID: input.taskId,
    RunID: input.runId,
    JobID: input.jobId,
    ac: CACHE_ACCESS,
  };
  if (input.oidc) {
    claims.oidc_extra = JSON.stringify(input.oidc.extra);
    claims.oidc_sub = input.oidc.sub;
  }
  // jti: a re-issued task (request-key replay) gets a different token even within the same second
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setNotBefore(now)
    .setExpirationTime(now + RUNTIME_TOKEN_LIFETIME_S)
    .setJti(randomBytes(8).toString('hex'))
    .sign(key(deps));
}

/** verifies signature, exp and nbf against the plugin clock; null when the token is not a valid runtime token */
export async function verifyRuntimeToken(deps: Pick<Deps, 'config' | 'clock'>, token: string): Promise<RuntimeTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key(deps), {
      algorithms: ['HS256', 'HS384', 'HS512'],
      currentDate: deps.clock.now(),
      requiredClaims: ['exp', 'nbf'],
    });
    const taskId = payload.TaskID;
    if (typeof taskId !== 'number' || !Number.isSafeInteger(taskId)) return null;
    const claims: RuntimeTokenClaims = {
      taskId,
      runId: Number(payload.RunID ?? 0),
      jobId: Number(payload.JobID ?? 0),
      scopes: typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [],
    };
    if (typeof payload.oidc_sub === 'string') claims.oidcSub = payload.oidc_sub;
    if (typeof payload.oidc_extra === 'string') {
      try {
        const extra = JSON.parse(payload.oidc_extra) as unknown;
        if (extra && typeof extra === 'object' && !Array.isArray(extra)) claims.oidcExtra = extra as Record<string, string>;
      } catch {
        // left undefined: the id-token endpoint refuses a token without usable custom claims
      }
    }
    return claims;
  } catch {
    return null;
  }
}
