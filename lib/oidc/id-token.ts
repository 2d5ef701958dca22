// The id-token endpoint's logic (job-lifecycle §8.3): checks in Forgejo's
// order with Forgejo's status codes and messages, then an RS256 token with
// the job's claims. One deliberate difference: a runtime token without the
// OIDC claims or the generate_id_token scope is refused (Forgejo carries on).
import { SignJWT } from 'jose';
import type { Deps } from '../deps.js';
import { Status } from '../status.js';
import { taskById } from '../../models/task-auth.js';
import { verifyRuntimeToken } from './runtime-token.js';
import { activeSigningKey, ID_TOKEN_ALG, ID_TOKEN_LIFETIME_MS } from './signing-keys.js';
import { issuer } from './urls.js';

export class IdTokenError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface IdTokenRequest {
  authorization: string | undefined;
  /** the {run_id} path parameter as received */
  runId: string;
  audience: string | undefined;
}

export async function issueIdToken(deps: Deps, req: IdTokenRequest): Promise<string> {
  const auth = req.authorization ?? '';
  if (!/^bearer /i.test(auth)) throw new IdTokenError(401, 'Bad authorization header');
  const claims = await verifyRuntimeToken(deps, auth.slice(7).trim());
  if (!claims) throw new IdTokenError(500, 'Error runner api parsing authorization token');
  if (!claims.oidcExtra || !claims.oidcSub || !claims.scopes.some((s) => s.startsWith('generate_id_token:'))) {
    throw new IdTokenError(500, 'Error runner api parsing custom claims');
  }
  const task = await taskById(deps.knex, claims.taskId);
  if (!task) throw new IdTokenError(500, 'Error runner api getting task by ID');
  if (task.status !== Status.running) throw new IdTokenError(500, 'Error runner api getting task: task is not running');
  const runId = /^\d+$/.test(req.runId) ? Number(req.runId) : 0;
  if (Number(task.run_id) !== runId) throw new IdTokenError(400, 'run-id does not match');

  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const owner = claims.oidcExtra.repository_owner ?? '';
  const audience = req.audience || `${deps.config.publicUrl}${owner}`;
  const { kid, key } = await activeSigningKey(deps);
  return new SignJWT({ ...claims.oidcExtra })
    .setProtectedHeader({ alg: ID_TOKEN_ALG, kid, typ: 'JWT' })
    .setSubject(claims.oidcSub)
    .setAudience(audience)
    .setIssuer(issuer(deps))
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ID_TOKEN_LIFETIME_MS / 1000)
    .sign(key);
}
