// Authenticated encryption of values at rest (secrets, OIDC private keys) with
// keys derived from the master `secretKey`. AES-256-GCM, a random 96-bit nonce
// per value, and associated data that binds each ciphertext to its row, so a
// ciphertext copied into another row does not decrypt.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Deps } from './deps.js';
import { FailedPrecondition } from './errors.js';

/** what a derived key is for; each purpose gets an independent key (HKDF info) */
export type KeyPurpose = 'action_secret' | 'signing_key' | 'runtime_token' | 'key_check';

const VERSION = 'v1.';

/** the master key in use; set by initKeys before `ready` resolves */
export function secretKeyOf(deps: Pick<Deps, 'config'>): string {
  const key = deps.config.secretKey;
  if (!key) throw new FailedPrecondition('the secret key is not initialised yet (await plugin.ready)');
  return key;
}

/** HKDF-SHA256 with an empty salt, as Forgejo's keying module does, 32 bytes */
// derived keys are asked for on every claim (runtime token, secrets): derive each once per master key
const derived = new Map<string, Buffer>();

export function deriveKey(secretKey: string, purpose: KeyPurpose): Buffer {
  const id = `${purpose}\0${secretKey}`;
  let key = derived.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), Buffer.alloc(0), purpose, 32));
    // a rotated-away master key leaves a stale entry; the map stays tiny (purposes × keys in use)
    if (derived.size > 64) derived.clear();
    derived.set(id, key);
  }
  return key;
}

export function seal(secretKey: string, purpose: KeyPurpose, aad: string, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secretKey, purpose), nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

/** throws when the key, the associated data or the ciphertext do not match */
export function unseal(secretKey: string, purpose: KeyPurpose, aad: string, sealed: string): string {
  if (!sealed.startsWith(VERSION)) throw new Error('unknown ciphertext format');
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64');
  if (raw.length < 28) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secretKey, purpose), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

/** associated data of a secret's value: column and row id, like Forgejo's ColumnAndID */
export function secretAad(id: number): string {
  return `data:${id}`;
}

export function signingKeyAad(kid: string): string {
  return `private_jwk:${kid}`;
}

/** a value stored next to the data that tells whether a key is the one it was encrypted with, without revealing it */
export function keyCheck(secretKey: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'key_check')).update('forge-actions key check').digest('hex');
}
