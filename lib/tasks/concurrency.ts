// The concurrency-group queue (Forgejo's CONCURRENCY_GROUP_QUEUE_ENABLED): a
// job of a run in a "queue behind" group is not a candidate while another run
// of that group runs, or is pending with a lower run number. A pure SQL
// condition on action_run, so every instance agrees without shared memory.
// Owned with the run lifecycle: adjust here if the queueing rules grow.
import { ConcurrencyType } from '../../models/runs.js';

/** a condition on a candidate query over `action_run_job j`: the job's run is not queued behind another */
export const notQueuedBehind =
  'not exists (select r.id from action_run r join action_run o on o.repo_id = r.repo_id and o.concurrency_group = r.concurrency_group and o.id <> r.id' +
  ` where r.id = j.run_id and r.concurrency_group <> '' and r.concurrency_type = ${ConcurrencyType.queueBehind}` +
  ' and (o.status = 6 or (o.status in (0, 5, 7) and o.run_number < r.run_number)))';
