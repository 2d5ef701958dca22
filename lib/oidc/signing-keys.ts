// The RS256 key that signs job id-tokens: generated once and stored (private
// part sealed with the master key), rotatable, and the retired key stays in
// the JWKS until every token it signed has expired.
import { createHash, createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import type { Executor } from '../../models/base.js';
import { advisoryXactLock } from '../../models/base.js';
import { SigningKeyGateway, type SigningKeyRow } from '../../models/signing-keys.js';
import { seal, secretKeyOf, signingKeyAad, unseal } from '../sealed.js';
import { checkSealingKey } from '../keys.js';

export const ID_TOKEN_ALG = 'RS256';
/** id-token lifetime (Forgejo's ID_TOKEN_EXPIRATION_TIME default) */
export const ID_TOKEN_LIFETIME_MS = 3600_000;
/** a retired key stays published this long past the last token it may have signed, for clock skew */
const PUBLISH_MARGIN_MS = 5 * 60_000;

/** base64url(SHA-256(DER SubjectPublicKeyInfo)), Forgejo's kid */
function kidOf(publicJwk: JWK): string {
  const der = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

async function newKeyRow(sealingKey: string, now: number): Promise<Omit<SigningKeyRow, 'id'>> {
  const { publicKey, privateKey } = await generateKeyPair(ID_TOKEN_ALG, { modulusLength: 2048, extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const kid = kidOf(pub);
  const publicJwk: JWK = { kty: 'RSA', alg: ID_TOKEN_ALG, kid, use: 'sig', n: pub.n, e: pub.e };
  return {
    kid,
    private_jwk: seal(sealingKey, 'signing_key', signingKeyAad(kid), JSON.stringify(priv)),
    public_jwk: JSON.stringify(publicJwk),
    created: now,
    retired: 0,
  };
}

/** Makes sure an active key exists. The key pair is generated outside the lock (it takes tens of milliseconds). */
export async function ensureSigningKey(deps: Deps): Promise<void> {
  if (await new SigningKeyGateway(deps.knex).active()) return;
  const sealingKey = secretKeyOf(deps);
  const row = await newKeyRow(sealingKey, nowMs(deps));
  await deps.knex.transaction(async (trx) => {
    await advisoryXactLock(trx, deps.dialect, 'action_signing_key');
    const keys = new SigningKeyGateway(trx);
    if (await keys.active()) return;
    // a key sealed with a master key another instance rotated away could never be unsealed
    await checkSealingKey(trx, deps, sealingKey);
    await keys.insert(row);
  });
}

/** Retires the active key and makes a new one; the old key stays published until its tokens expire. */
export async function rotateSigningKey(deps: Deps): Promise<{ kid: string; retired: string[] }> {
  const now = nowMs(deps);
  const sealingKey = secretKeyOf(deps);
  const row = await newKeyRow(sealingKey, now);
  return deps.knex.transaction(async (trx) => {
    await advisoryXactLock(trx, deps.dialect, 'action_signing_key');
    await checkSealingKey(trx, deps, sealingKey);
    const keys = new SigningKeyGateway(trx);
    const retired = (await keys.published(now)).filter((r) => r.retired === 0).map((r) => r.kid);
    await keys.retireActive(now);
    await keys.deleteRetiredBefore(now - ID_TOKEN_LIFETIME_MS - PUBLISH_MARGIN_MS);
    await keys.insert(row);
    return { kid: row.kid, retired };
  });
}

/** the public keys a verifier may meet: the active one and those retired less than a token lifetime ago */
export async function publishedKeys(k: Executor, now: number): Promise<JWK[]> {
  const rows = await new SigningKeyGateway(k).published(now - ID_TOKEN_LIFETIME_MS - PUBLISH_MARGIN_MS);
  return rows.map((r) => JSON.parse(r.public_jwk) as JWK);
}

export interface ActiveSigningKey {
  kid: string;
  key: CryptoKey | Uint8Array;
}

export async function activeSigningKey(deps: Deps): Promise<ActiveSigningKey> {
  let row = await new SigningKeyGateway(deps.knex).active();
  if (!row) {
    await ensureSigningKey(deps);
    row = (await new SigningKeyGateway(deps.knex).active())!;
  }
  const jwk = JSON.parse(unseal(secretKeyOf(deps), 'signing_key', signingKeyAad(row.kid), row.private_jwk)) as JWK;
  return { kid: row.kid, key: await importJWK(jwk, ID_TOKEN_ALG) };
}

/** re-seals every private key under a new master key (inside the caller's transaction) */
export async function resealSigningKeys(k: Executor, oldKey: string, newKey: string): Promise<number> {
  const keys = new SigningKeyGateway(k);
  const rows = await keys.all();
  for (const r of rows) {
    const plain = unseal(oldKey, 'signing_key', signingKeyAad(r.kid), r.private_jwk);
    await keys.setPrivate(r.id, seal(newKey, 'signing_key', signingKeyAad(r.kid), plain));
  }
  return rows.length;
}
