// Random credentials (runner tokens, task tokens): 160 random bits as 40 hex
// characters, stored as SHA-256. A slow KDF adds nothing for random secrets of
// this size and would cost milliseconds of CPU on every runner poll.
import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export function generateToken(): string {
  return randomBytes(20).toString('hex');
}

// crypto.hash, the one-shot form: no Hash object per call (every poll hashes its token)
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** constant-time comparison of a presented token with a stored hash */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = hash('sha256', token, 'buffer');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newUuid(): string {
  return randomUUID();
}

/** a registration token: 43 URL-safe characters, like Forgejo's */
export function generateRegistrationToken(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}
