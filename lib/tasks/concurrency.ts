// The concurrency-group queue (Forgejo's CONCURRENCY_GROUP_QUEUE_ENABLED): a
// job of a run in a "queue behind" group is not a candidate while another run
// of that group runs, or is pending with a lower run number. A pure SQL
// condition on action_run, so every instance agrees without shared memory.
// Owned with the run lifecycle: adjust here if the queueing rules grow.
import type { Knex } from 'knex';
import { ConcurrencyType } from '../../models/runs.js';

/** narrows a candidate query over `action_run_job as j` to jobs whose run is not queued behind another */
export function excludeQueuedBehind(q: Knex.QueryBuilder): void {
  q.whereNotExists(function (this: Knex.QueryBuilder) {
    this.select('r.id')
      .from('action_run as r')
      .join('action_run as o', function () {
        this.on('o.repo_id', '=', 'r.repo_id').andOn('o.concurrency_group', '=', 'r.concurrency_group').andOn('o.id', '<>', 'r.id');
      })
      .whereRaw('r.id = j.run_id')
      .where('r.concurrency_group', '<>', '')
      .where('r.concurrency_type', ConcurrencyType.queueBehind)
      .where((w) => w.where('o.status', 6).orWhere((x) => x.whereIn('o.status', [0, 5, 7]).whereRaw('o.run_number < r.run_number')));
  });
}
