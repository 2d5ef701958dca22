import { expect } from 'chai';
import { openDatabase } from '../../lib/db.js';
import { getOrCreateRegistrationToken } from '../../lib/runners.js';
import { freshDatabaseUrl } from '../support/databases.js';
import { insertManyJobs, testDeps } from '../support/fixtures.js';
import { RunnerClient } from '../support/runner-client.js';
import { drain, drainOutcome, startInstance, type Instance } from './support/drain.js';

describe('runner protocol: two instances in two processes on one PostgreSQL', () => {
  it('20 concurrent runners drain 500 jobs: every job assigned exactly once, none left waiting', async function () {
    this.timeout(120_000);
    const url = await freshDatabaseUrl('postgres');
    const instances: Instance[] = [];
    const db = openDatabase(url);
    try {
      instances.push(...(await Promise.all([startInstance(url), startInstance(url)])));
      await insertManyJobs(db.knex, db.dialect, 500, { jobsPerRun: 5 });
      const token = await getOrCreateRegistrationToken(testDeps(db.knex, db.dialect), {});
      const clients = await Promise.all(
        Array.from({ length: 20 }, (_, i) => RunnerClient.register(instances[i % 2]!.baseUrl, { token, name: `drain-${i}` })),
      );
      const result = await drain(clients, 500, 90_000);
      expect(result.errors).to.equal(0);
      expect(result.completed).to.equal(500);
      const outcome = await drainOutcome(db.knex);
      expect(outcome).to.deep.equal({ jobs: 500, tasks: 500, duplicates: 0, lost: 0, notSuccess: 0 });
      // every runner got work from both the first and the following polls; both instances served
      const perRunner = (await db.knex('action_task').select('runner_id').count('* as n').groupBy('runner_id')) as Array<{ n: number }>;
      expect(perRunner.length).to.be.greaterThan(10);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
      await db.knex.destroy();
    }
  });
});
