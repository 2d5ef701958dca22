import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { Result } from '../support/runner-client.js';
import { readTaskLog } from '../../lib/logs/index.js';
import { startJobsEnv, chain, MINUTE, HOUR, type JobsEnv } from './helpers.js';

forEachDatabase('jobs: timeouts', (kind) => {
  let e: JobsEnv;
  beforeEach(async () => {
    e = await startJobsEnv(kind);
  });
  afterEach(() => e.close());

  async function startTask() {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/ci.yml': chain });
    const runner = await e.runner(['ubuntu'], true);
    const { tasks } = await runner.fetchTask();
    expect(tasks).to.have.length(1);
    const rep = runner.reporter(tasks[0]!);
    rep.startStep(0);
    rep.log('hello from a');
    await rep.flush();
    return { runner, rep, taskId: Number(tasks[0]!.id) };
  }

  const status = async (table: string, id: number) => ((await e.knex(table).where({ id }).first()) as { status: number }).status;

  it('zombies: a task without an update for 10 minutes fails, dependents settle, the log is archived', async () => {
    const { rep, taskId } = await startTask();
    e.t.clock.advance(9 * MINUTE);
    await e.t.plugin.jobs.run('zombies');
    expect(await status('action_task', taskId)).to.equal(6);
    await rep.sendState(); // heartbeat
    e.t.clock.advance(10 * MINUTE + 1);
    await e.t.plugin.jobs.run('zombies');
    const task = await e.knex('action_task').where({ id: taskId }).first();
    expect(task.status).to.equal(2);
    const jobs = await e.knex('action_run_job').orderBy('id');
    expect(jobs.map((j: { status: number }) => j.status)).to.deep.equal([2, 4]); // failure, skipped
    expect(await status('action_run', jobs[0].run_id)).to.equal(2);
    expect(!!task.log_in_storage).to.equal(true);
    expect((await readTaskLog(e.deps, taskId)).map((l) => l.content)).to.deep.equal(['hello from a']);
    // the ephemeral runner went with its task
    expect(Number((await e.knex('action_runner').first('deleted')).deleted)).to.be.greaterThan(0);
    // the runner learns it from its next report
    await rep.sendState().catch(() => {});
  });

  it('endless: a task started 3 hours ago fails even with heartbeats', async () => {
    const { rep, taskId } = await startTask();
    for (let i = 0; i < 18; i++) {
      e.t.clock.advance(9 * MINUTE);
      await rep.sendState();
    }
    await e.t.plugin.jobs.run('zombies');
    await e.t.plugin.jobs.run('endless');
    expect(await status('action_task', taskId)).to.equal(6);
    e.t.clock.advance(20 * MINUTE);
    await rep.sendState();
    await e.t.plugin.jobs.run('zombies');
    expect(await status('action_task', taskId)).to.equal(6);
    await e.t.plugin.jobs.run('endless');
    expect(await status('action_task', taskId)).to.equal(2);
    expect(((await e.knex('action_run_job').orderBy('id')) as Array<{ status: number }>).map((j) => j.status)).to.deep.equal([2, 4]);
  });

  it('abandoned: waiting and blocked jobs untouched for 24 hours are cancelled, runs awaiting approval are not', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/ci.yml': chain });
    const other = e.host.repo('bob/lib', 2);
    await e.push(other, { '.forgejo/workflows/ci.yml': chain });
    const approvalRun = (await e.knex('action_run').where({ repo_id: 2 }).first()) as { id: number };
    await e.knex('action_run').where({ id: approvalRun.id }).update({ need_approval: true });
    e.t.clock.advance(23 * HOUR);
    await e.t.plugin.jobs.run('abandoned');
    expect(((await e.knex('action_run_job').where({ repo_id: 1 }).orderBy('id')) as Array<{ status: number }>).map((j) => j.status)).to.deep.equal([5, 7]);
    e.t.clock.advance(HOUR + 1);
    await e.t.plugin.jobs.run('abandoned');
    const jobs = (await e.knex('action_run_job').where({ repo_id: 1 }).orderBy('id')) as Array<{ status: number; run_id: number }>;
    expect(jobs.map((j) => j.status)).to.deep.equal([3, 4]);
    expect(await status('action_run', jobs[0]!.run_id)).to.equal(3);
    expect(((await e.knex('action_run_job').where({ repo_id: 2 }).orderBy('id')) as Array<{ status: number }>).map((j) => j.status)).to.deep.equal([5, 7]);
  });

  it('running jobs are never abandoned, and a finished task is left alone by the zombie pass', async () => {
    const { runner, rep, taskId } = await startTask();
    await rep.close(Result.SUCCESS);
    void runner;
    e.t.clock.advance(25 * HOUR);
    await e.t.plugin.jobs.run('zombies');
    await e.t.plugin.jobs.run('endless');
    expect(await status('action_task', taskId)).to.equal(1);
  });
});
