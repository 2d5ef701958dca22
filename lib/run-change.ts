// One change to a run from outside the runner protocol (a user, a timeout, a
// cleanup pass): its own transaction, then the events and the commit statuses
// that follow from it, after the commit.
import type { Knex } from 'knex';
import type { Deps } from './deps.js';
import { Outbox } from './outbox.js';
import { queueCommitStatuses } from './commit-status.js';

export async function changeRun<T>(deps: Deps, runId: number, work: (trx: Knex.Transaction, outbox: Outbox) => Promise<T>): Promise<T> {
  const outbox = new Outbox();
  const result = await deps.knex.transaction((trx) => work(trx, outbox));
  queueCommitStatuses(deps, outbox, runId);
  await outbox.flush(deps.events, (e) => deps.logger.warn({ err: e }, 'after-commit work failed'));
  return result;
}
