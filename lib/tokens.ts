// Random credentials (runner tokens, task tokens): 160 random bits as 40 hex
// characters, stored as SHA-256. A slow KDF adds nothing for random secrets of
// this size and would cost milliseconds of CPU on every runner poll.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export function generateToken(): string {
  return randomBytes(20).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** constant-time comparison of a presented token with a stored hash */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
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
