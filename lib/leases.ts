// Cross-instance guard for maintenance passes: a pass runs only while its
// instance holds the job's lease row. The lease is bounded in time, so a
// crashed holder blocks the job for at most one TTL; a long pass renews it
// between batches and stops early when it finds the lease taken over.
import { randomBytes } from 'node:crypto';
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { LeaseGateway } from '../models/leases.js';

export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** renews the lease; false when another instance took it over (the pass should stop) */
  extend(): Promise<boolean>;
}

/**
 * Runs `pass` under the lease `name` held for `ttl` ms. Returns false without
 * running it when another instance holds the lease.
 */
export async function withLease(deps: Deps, name: string, ttl: number, pass: (lease: Lease) => Promise<void>): Promise<boolean> {
  // one holder id per pass: two passes of one process must exclude each other too
  const holder = `${deps.config.instanceId}#${randomBytes(4).toString('hex')}`;
  const gateway = new LeaseGateway(deps.knex, deps.dialect);
  if (!(await gateway.acquire(name, holder, nowMs(deps), ttl))) return false;
  const lease: Lease = { name, holder, extend: () => gateway.renew(name, holder, nowMs(deps), ttl) };
  try {
    await pass(lease);
  } finally {
    await gateway.release(name, holder, nowMs(deps)).catch((e: unknown) => deps.logger.warn({ err: e, lease: name }, 'lease release failed; it expires by itself'));
  }
  return true;
}
