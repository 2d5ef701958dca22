// Gateway for action_lease: one row per maintenance job. The row, not process
// memory, decides which instance runs a pass: a holder takes it with one
// conditional upsert, and a holder that died simply lets it expire.
import type { Dialect } from '../lib/db.js';
import type { Executor, Gateway } from './base.js';

export interface LeaseRow {
  name: string;
  holder: string;
  expires: number;
  last_run: number;
}

export class LeaseGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  /**
   * Takes the lease when it is free, expired, or already ours, in one
   * statement (INSERT … ON CONFLICT DO UPDATE … WHERE), so two instances
   * racing on it cannot both succeed. Returns whether `holder` has it now.
   */
  async acquire(name: string, holder: string, now: number, ttl: number): Promise<boolean> {
    const rows = (await this.k.raw(
      `insert into action_lease (name, holder, expires, last_run) values (?, ?, ?, 0)
       on conflict (name) do update set holder = excluded.holder, expires = excluded.expires
       where action_lease.expires <= ? or action_lease.holder = ?
       returning name`,
      [name, holder, now + ttl, now, holder],
    )) as { rows?: unknown[] } | unknown[];
    const list = Array.isArray(rows) ? rows : (rows.rows ?? []);
    return list.length === 1;
  }

  /** pushes the expiry out while the holder still has the lease; false when it was lost */
  async renew(name: string, holder: string, now: number, ttl: number): Promise<boolean> {
    const n = await this.k('action_lease').where({ name, holder }).andWhere('expires', '>', now).update({ expires: now + ttl });
    return n === 1;
  }

  /** frees the lease at once and records when the pass finished */
  async release(name: string, holder: string, now: number): Promise<void> {
    await this.k('action_lease').where({ name, holder }).update({ holder: '', expires: 0, last_run: now });
  }

  async get(name: string): Promise<LeaseRow | undefined> {
    const r = (await this.k('action_lease').where({ name }).first()) as LeaseRow | undefined;
    return r && { ...r, expires: Number(r.expires), last_run: Number(r.last_run) };
  }
}
