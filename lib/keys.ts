// The master key (`secretKey`): resolved at start, checked against the data it
// protects, and rotated through one documented call.
//
// Without the option a random key is generated once and kept in action_setting
// (insert-if-absent, then read back, so instances starting together agree).
// Such a key protects against nothing that can read the database; hosts that
// care pass `secretKey` and keep it elsewhere.
//
// Rotation: call `rotateSecretKey(deps, oldKey, newKey)` from one instance
// (service.rotateSecretKey), then restart every instance with the new
// `secretKey` option. It re-encrypts every secret and OIDC private key in one
// transaction. Runtime tokens (ACTIONS_RUNTIME_TOKEN) of running jobs are
// signed with a key derived from the master key, so they stop verifying.
import { randomBytes } from 'node:crypto';
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { FailedPrecondition, InvalidArgument } from './errors.js';
import { advisoryXactLock, type Executor } from '../models/base.js';
import { deleteSetting, getSetting, insertSettingIfAbsent, putSetting } from '../models/settings.js';
import { SecretGateway } from '../models/secrets.js';
import { SigningKeyGateway } from '../models/signing-keys.js';
import { keyCheck, seal, secretAad, unseal } from './sealed.js';
import { resealSigningKeys } from './oidc/signing-keys.js';

const GENERATED_KEY = 'secret_key';
const KEY_CHECK = 'secret_key_check';
export const MIN_SECRET_KEY_LENGTH = 16;

/**
 * configs whose key was generated and lives in the database. A key given as
 * the option is kept out of the database, so this is the rotating instance's
 * own configuration, not shared state.
 */
const generatedKeys = new WeakSet<object>();

/**
 * Runs after migrations, before `ready` resolves: resolves the master key into
 * deps.config.secretKey and refuses a key that cannot decrypt the stored
 * secrets. The OIDC signing key is made on first use (generating an RSA key
 * takes a while, and most instances of a test suite never need one).
 */
export async function initKeys(deps: Deps): Promise<void> {
  const now = nowMs(deps);
  if (!deps.config.secretKey) {
    deps.config.secretKey = await insertSettingIfAbsent(deps.knex, GENERATED_KEY, randomBytes(32).toString('base64url'), now);
    generatedKeys.add(deps.config);
  }
  const key = deps.config.secretKey;
  const expected = keyCheck(key);
  const stored = await insertSettingIfAbsent(deps.knex, KEY_CHECK, expected, now);
  if (stored !== expected) {
    await deps.knex.transaction(async (trx) => {
      await advisoryXactLock(trx, deps.dialect, 'secret_key');
      if ((await getSetting(trx, KEY_CHECK)) === expected) return; // another instance adopted it meanwhile
      if ((await new SecretGateway(trx, deps.dialect).count()) > 0) {
        throw new FailedPrecondition(
          'secretKey does not match the key the stored secrets were encrypted with; ' +
            'start with the previous key and call rotateSecretKey(oldKey, newKey) to change it',
        );
      }
      // nothing was encrypted with the old key but the OIDC private keys: replace them
      const dropped = await new SigningKeyGateway(trx).deleteAll();
      if (dropped > 0) deps.logger.warn({ dropped }, 'secretKey changed: OIDC signing keys were replaced');
      await putSetting(trx, KEY_CHECK, expected, now);
    });
  }
}

/**
 * Re-encrypts every secret and OIDC private key from `oldKey` to `newKey` in
 * one transaction, and makes `newKey` this instance's key. Other instances
 * must be restarted with `newKey` as their `secretKey` option.
 */
export async function rotateSecretKey(deps: Deps, oldKey: string, newKey: string): Promise<{ secrets: number; signingKeys: number }> {
  if (typeof newKey !== 'string' || newKey.length < MIN_SECRET_KEY_LENGTH) {
    throw new InvalidArgument(`newKey: must be at least ${MIN_SECRET_KEY_LENGTH} characters`, { field: 'newKey' });
  }
  if (newKey === oldKey) throw new InvalidArgument('newKey: must differ from oldKey', { field: 'newKey' });
  const result = await deps.knex.transaction(async (trx) => {
    await advisoryXactLock(trx, deps.dialect, 'secret_key');
    if ((await getSetting(trx, KEY_CHECK)) !== keyCheck(oldKey)) {
      throw new InvalidArgument('oldKey: is not the key the stored data is encrypted with', { field: 'oldKey' });
    }
    const gateway = new SecretGateway(trx, deps.dialect);
    const rows = await gateway.all({ lock: true });
    for (const r of rows) {
      const plain = unseal(oldKey, 'action_secret', secretAad(r.id), r.data);
      await gateway.setData(r.id, seal(newKey, 'action_secret', secretAad(r.id), plain));
    }
    const signingKeys = await resealSigningKeys(trx, oldKey, newKey);
    const now = nowMs(deps);
    await putSetting(trx, KEY_CHECK, keyCheck(newKey), now);
    // a generated key lives in the database: replace it there; a key given as the option lives elsewhere,
    // so a generated one left over from earlier runs goes
    if (generatedKeys.has(deps.config)) await putSetting(trx, GENERATED_KEY, newKey, now);
    else await deleteSetting(trx, GENERATED_KEY);
    return { secrets: rows.length, signingKeys };
  });
  deps.config.secretKey = newKey;
  deps.logger.info(result, 'secretKey rotated');
  return result;
}

/**
 * Refuses to seal with a key the stored data is no longer encrypted with: an
 * instance not yet restarted after another one rotated the key would write
 * rows no instance can read. Call inside the writing transaction; it waits
 * for a rotation in progress (the same lock) and reads its outcome.
 */
export async function checkSealingKey(trx: Executor, deps: Deps, key: string): Promise<void> {
  await advisoryXactLock(trx, deps.dialect, 'secret_key');
  if ((await getSetting(trx, KEY_CHECK)) !== keyCheck(key)) {
    throw new FailedPrecondition('the secret key was rotated: restart this instance with the new secretKey before writing secrets');
  }
}
