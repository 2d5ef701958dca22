// OIDC discovery document and JWKS for job id-tokens (job-lifecycle §8.3).
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import { ensureSigningKey, ID_TOKEN_ALG, publishedKeys } from './signing-keys.js';
import { issuer, jwksUri } from './urls.js';
import { OIDC_EXTRA_KEYS } from '../context.js';

export function openidConfiguration(deps: Deps): Record<string, unknown> {
  return {
    issuer: issuer(deps),
    jwks_uri: jwksUri(deps),
    subject_types_supported: ['public'],
    response_types_supported: ['id_token'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'nbf', ...OIDC_EXTRA_KEYS],
    id_token_signing_alg_values_supported: [ID_TOKEN_ALG],
    scopes_supported: ['openid'],
  };
}

export async function jwks(deps: Deps): Promise<{ keys: unknown[] }> {
  // verifiers fetch this often: one read, and the key is made only on a database that has none yet
  const keys = await publishedKeys(deps.knex, nowMs(deps));
  if (keys.length > 0) return { keys };
  await ensureSigningKey(deps);
  return { keys: await publishedKeys(deps.knex, nowMs(deps)) };
}
