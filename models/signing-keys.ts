// Gateway for action_signing_key: OIDC id-token signing keys. `private_jwk`
// holds ciphertext (lib/keys.ts); a retired key stays until its tokens expire.
import type { Executor } from './base.js';

export interface SigningKeyRow {
  id: number;
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created: number;
  retired: number;
}

export class SigningKeyGateway {
  constructor(readonly k: Executor) {}

  /** the key that signs: the newest one not retired */
  async active(): Promise<SigningKeyRow | undefined> {
    return (await this.k('action_signing_key').where({ retired: 0 }).orderBy('id', 'desc').first()) as SigningKeyRow | undefined;
  }

  /** keys whose tokens may still be valid: active ones and those retired after `retiredAfter` */
  async published(retiredAfter: number): Promise<SigningKeyRow[]> {
    return (await this.k('action_signing_key')
      .where({ retired: 0 })
      .orWhere('retired', '>', retiredAfter)
      .orderBy('id', 'desc')) as SigningKeyRow[];
  }

  async insert(row: Omit<SigningKeyRow, 'id'>): Promise<void> {
    await this.k('action_signing_key').insert(row);
  }

  async retireActive(now: number): Promise<number> {
    return this.k('action_signing_key').where({ retired: 0 }).update({ retired: now });
  }

  async deleteRetiredBefore(time: number): Promise<number> {
    return this.k('action_signing_key').where('retired', '>', 0).andWhere('retired', '<=', time).delete();
  }

  async all(): Promise<SigningKeyRow[]> {
    return (await this.k('action_signing_key').orderBy('id')) as SigningKeyRow[];
  }

  async setPrivate(id: number, privateJwk: string): Promise<void> {
    await this.k('action_signing_key').where({ id }).update({ private_jwk: privateJwk });
  }

  async deleteAll(): Promise<number> {
    return this.k('action_signing_key').delete();
  }
}
