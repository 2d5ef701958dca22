// Random credentials (runner tokens, task tokens): 160 random bits as 40 hex
// characters, stored as SHA-256. A slow KDF adds nothing for random secrets of
// this size and would cost milliseconds of CPU on every runner poll.
import { hash, randomBytes, randomUUID } from 'node:crypto';

export function generateToken(): string {
  return randomBytes(20).toString('hex');
}

// crypto.hash, the one-shot form: no Hash object per call (every poll hashes its token)
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** constant-time comparison of two hex digests (no early exit) */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The digests of tokens that matched their stored hash, by token. A runner
 * presents the same token on every call, a poll every few seconds, and in the
 * middle of HTTP traffic one SHA-256 through OpenSSL costs ~15 µs, a fifth of
 * an idle poll. Only matching tokens are kept (a stream of wrong tokens cannot
 * fill it), the size is bounded, and a token is still compared with the hash
 * read from the database on every call: a reset or a deletion takes effect at
 * once. The tokens are in this process's memory anyway, in every request.
 */
const matched = new Map<string, string>();
const MATCHED_MAX = 10_000;

/** constant-time comparison of a presented token with a stored hash */
export function tokenMatches(token: string, storedHash: string): boolean {
  const known = matched.get(token);
  if (known !== undefined) return sameDigest(known, storedHash);
  const digest = hashToken(token);
  const ok = sameDigest(digest, storedHash);
  if (ok) {
    if (matched.size >= MATCHED_MAX) matched.clear();
    matched.set(token, digest);
  }
  return ok;
}

export function newUuid(): string {
  return randomUUID();
}

/** a registration token: 43 URL-safe characters, like Forgejo's */
export function generateRegistrationToken(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}
