import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { actionsPlugin, type ActionsPlugin } from '../../lib/index.js';
import { openDatabase } from '../../lib/db.js';
import { fireDueSchedules } from '../../lib/schedules/index.js';
import { forEachDatabase, freshDatabaseUrl } from '../support/databases.js';
import { silentLogger, TestClock } from '../support/plugin.js';
import { testDeps } from '../support/fixtures.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import { scheduled, MINUTE } from './helpers.js';

describe('jobs: three instances on one PostgreSQL', () => {
  it('fire 100 schedule occurrences exactly 100 times', async function () {
    this.timeout(120_000);
    const url = await freshDatabaseUrl('postgres');
    const clock = new TestClock(Date.parse('2026-01-05T10:00:00Z'));
    const host = new MemoryHost();
    const plugins: ActionsPlugin[] = [0, 1, 2].map((i) => actionsPlugin({ database: url, cron: false, host, clock, logger: silentLogger, instanceId: `i${i}` }));
    await Promise.all(plugins.map((p) => p.ready));
    // direct passes without the lease: the occurrence claim alone must hold
    const dbs = [0, 1, 2].map(() => openDatabase(url));
    const deps = dbs.map((db, i) => Object.assign(testDeps(db.knex, db.dialect, { clock }), { host, config: { ...testDeps(db.knex, db.dialect).config, instanceId: `d${i}` } }));
    try {
      const repo = host.repo('alice/app', 1);
      const files: Record<string, string> = {};
      for (let w = 0; w < 5; w++) files[`.forgejo/workflows/w${w}.yml`] = scheduled('* * * * *');
      const sha = host.commit(repo, 'refs/heads/main', files);
      await plugins[0]!.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
      for (let tick = 0; tick < 20; tick++) {
        clock.advance(MINUTE);
        await Promise.all([...plugins.map((p) => p.jobs.run('schedules')), ...deps.map((d) => fireDueSchedules(d))]);
      }
      const knex = dbs[0]!.knex;
      const runs = (await knex('action_run').where('schedule_id', '>', 0).select('workflow_id')) as Array<{ workflow_id: string }>;
      expect(runs).to.have.length(100);
      const perWorkflow = new Map<string, number>();
      for (const r of runs) perWorkflow.set(r.workflow_id, (perWorkflow.get(r.workflow_id) ?? 0) + 1);
      expect([...perWorkflow.values()]).to.deep.equal([20, 20, 20, 20, 20]);
      const occurrences = (await knex('action_schedule_occurrence').where('run_id', '>', 0).count({ n: '*' }).first()) as { n: number | string };
      expect(Number(occurrences.n)).to.equal(100);
    } finally {
      await Promise.all(plugins.map((p) => p.close()));
      await Promise.all(dbs.map((db) => db.knex.destroy()));
    }
  });
});

forEachDatabase('jobs: leases', (kind) => {
  it('a killed instance\'s in-flight pass is picked up by another after its lease expires', async function () {
    this.timeout(60_000);
    const url = await freshDatabaseUrl(kind);
    const clock = new TestClock(Date.parse('2026-01-05T10:00:00Z'));
    const host = new MemoryHost();
    const plugin = actionsPlugin({ database: url, cron: false, host, clock, logger: silentLogger, instanceId: 'parent' });
    await plugin.ready;
    const db = openDatabase(url);
    try {
      const repo = host.repo('alice/app', 1);
      const caller = `on:\n  schedule: [{ cron: '*/5 * * * *' }]\njobs:\n  call:\n    uses: ./.forgejo/workflows/called.yml\n`;
      const called = `on: workflow_call\njobs:\n  inner: { runs-on: ubuntu, steps: [{ run: x }] }\n`;
      const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/nightly.yml': caller, '.forgejo/workflows/called.yml': called });
      await plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
      clock.set(Date.parse('2026-01-05T10:05:00Z'));

      const child = spawn(process.execPath, ['--import', 'tsx', 'spec/jobs/pass-child.ts', url, String(clock.now().getTime())], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('in-flight')) resolve();
          if (out.includes('failed')) reject(new Error(out));
        });
        child.on('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
      });
      const lease = await db.knex('action_lease').where({ name: 'job:schedules' }).first();
      expect(lease.holder).to.match(/^child#/);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      // the dead holder's lease still stands: this instance's pass is skipped
      await plugin.jobs.run('schedules');
      expect(await db.knex('action_run').where('schedule_id', '>', 0)).to.have.length(0);
      clock.advance(5 * MINUTE);
      await plugin.jobs.run('schedules');
      const runs = await db.knex('action_run').where('schedule_id', '>', 0);
      expect(runs).to.have.length(1);
      expect((await db.knex('action_lease').where({ name: 'job:schedules' }).first()).holder).to.equal('');
    } finally {
      await plugin.close();
      await db.knex.destroy();
    }
  });
});
