// ACTIONS_RUNTIME_TOKEN (`gitea_runtime_token`): an HS256 JWT with Forgejo's
// claims (job-lifecycle §8.1), signed with a key derived from the master key.
// It authenticates the id-token endpoint and, for the host, API calls.
import { createHmac, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
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

const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * Signed here rather than with jose's SignJWT: jose signs through WebCrypto, an
 * asynchronous call that cost a task claim about 0.3 ms; an HS256 compact JWS is
 * one HMAC over two base64url parts. Verification stays with jose (jwtVerify).
 */
function signHs256(claims: Record<string, unknown>, key: Uint8Array): string {
  const input = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
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
  claims.nbf = now;
  claims.exp = now + RUNTIME_TOKEN_LIFETIME_S;
  // jti: a re-issued task (request-key replay) gets a different token even within the same second
  claims.jti = randomBytes(8).toString('hex');
  return signHs256(claims, key(deps));
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
