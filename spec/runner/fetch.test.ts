import { gzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { FetchTaskRequestSchema, FetchTaskResponseSchema } from '../../proto/gen/runner/v1/messages_pb.js';
import { forEachDatabase } from '../support/databases.js';
import { insertRun } from '../support/fixtures.js';
import { RunnerClient, Result } from '../support/runner-client.js';
import { getOrCreateRegistrationToken } from '../../lib/runners.js';
import { startEnv, expectCode, tokenIsCurrent, type Env } from './helpers.js';

const decode = (b?: Uint8Array) => new TextDecoder().decode(b ?? new Uint8Array());

forEachDatabase('runner protocol: FetchTask', (kind) => {
  let env: Env;
  // every test gets its own repository, so waiting jobs of one test are invisible to repo runners of another
  let repo = 100;
  const nextRepo = () => ++repo;
  before(async () => (env = await startEnv(kind)));
  after(async () => env.close());

  /** while `hold` keeps another transaction open, a poll gets no task and the version it sent; after its commit, the job `job` */
  async function pollWhileHeld(c: RunnerClient, known: bigint, hold: (trx: Knex.Transaction) => Promise<unknown>, job: string): Promise<void> {
    const other = await env.knex.transaction();
    try {
      await hold(other);
      const polled = await c.fetchTask();
      expect(polled.tasks).to.have.length(0);
      expect(polled.tasksVersion).to.equal(known);
    } finally {
      await other.commit();
    }
    const got = await c.fetchTask();
    expect(got.tasks.map((t) => (t.context as { job: string }).job)).to.deep.equal([job]);
  }

  it('an idle poll with the current version reads once and writes nothing', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    const first = await c.fetchTask();
    expect(first.tasks).to.have.length(0);
    expect(first.tasksVersion > 0n).to.equal(true);
    const queries: string[] = [];
    const listener = (q: { sql: string }) => queries.push(q.sql);
    env.knex.on('query', listener);
    try {
      for (let i = 0; i < 5; i++) expect((await c.fetchTask()).tasks).to.have.length(0);
    } finally {
      env.knex.off('query', listener);
    }
    expect(queries).to.have.length(5);
    expect(queries.every((q) => /^select/i.test(q.trim()))).to.equal(true);
  });

  it('hands out a waiting job with its payload, context, secrets and steps, and the run starts', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r }, labels: ['ubuntu-latest', 'x'] });
    const { run, jobs } = await insertRun(env.knex, env.dialect, {
      repoId: r,
      fullName: 'alice/app',
      jobs: [{ job_id: 'build', steps: [{ name: 'Checkout', uses: 'actions/checkout@v4' }, { run: 'make' }, { id: 'last', uses: 'x/y@v1' }] }],
    });
    const { tasks, tasksVersion } = await c.fetchTask();
    expect(tasks).to.have.length(1);
    const t = tasks[0]!;
    expect(tasksVersion > 0n).to.equal(true);
    expect(decode(t.workflowPayload)).to.equal(jobs[0]!.workflow_payload);
    const ctx = t.context as Record<string, unknown>;
    expect(ctx.token).to.match(/^[0-9a-f]{40}$/);
    expect(t.secrets.GITHUB_TOKEN).to.equal(ctx.token);
    expect(t.secrets.FORGEJO_TOKEN).to.equal(ctx.token);
    expect(await tokenIsCurrent(env.knex, t.id, ctx.token as string)).to.equal(true);
    expect(ctx.gitea_default_actions_url).to.be.a('string');
    expect(ctx.run_attempt).to.equal('1');
    expect(ctx.job).to.equal('build');
    const job = await env.knex('action_run_job').where({ id: jobs[0]!.id }).first();
    expect([job.status, job.task_id, job.attempt]).to.deep.equal([6, Number(t.id), 1]);
    const task = await env.knex('action_task').where({ id: Number(t.id) }).first();
    expect(task.status).to.equal(6);
    expect(task.log_filename).to.equal(`alice/app/${(Number(t.id) % 256).toString(16).padStart(2, '0')}/${t.id}.log.gz`);
    const steps = await env.knex('action_task_step').where({ task_id: Number(t.id) }).orderBy('index');
    expect(steps.map((s: { name: string }) => s.name)).to.deep.equal(['Checkout', 'make', 'x/y@v1']);
    expect((await env.knex('action_run').where({ id: run.id }).first()).status).to.equal(6);
    // the next poll has nothing left
    expect((await c.fetchTask()).tasks).to.have.length(0);
  });

  it('matches when every runs-on label is among the runner labels (case-sensitive)', async () => {
    const r = nextRepo();
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'j', runs_on: ['linux', 'gpu'] }] });
    for (const labels of [['linux'], ['Linux', 'gpu'], ['gpu']]) {
      const c = await env.runner({ scope: { repoId: r }, labels });
      expect((await c.fetchTask()).tasks, labels.join(',')).to.have.length(0);
    }
    const ok = await env.runner({ scope: { repoId: r }, labels: ['gpu', 'linux', 'extra'] });
    expect((await ok.fetchTask()).tasks).to.have.length(1);
  });

  it('a job without runs-on labels goes to no runner, and older jobs it cannot run do not hide a newer one it can', async () => {
    const r = nextRepo();
    // oldest first: the empty and the mismatching job come before the one this runner can take
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'none', runs_on: [] }] });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'gpu', runs_on: ['gpu'] }] });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'linux', runs_on: ['linux'] }] });
    const c = await env.runner({ scope: { repoId: r }, labels: ['linux'], capacity: 5 });
    const got = await c.fetchTask();
    expect(got.tasks.map((t) => (t.context as { job: string }).job)).to.deep.equal(['linux']);
    const waiting = await env.knex('action_run_job').where({ repo_id: r, status: 5 }).orderBy('id').pluck('job_id');
    expect(waiting).to.deep.equal(['none', 'gpu']);
  });

  it('answers an assigned task uncompressed although the runner accepts gzip, and still reads a gzip-compressed request', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'j' }] });
    const request = gzipSync(toBinary(FetchTaskRequestSchema, create(FetchTaskRequestSchema, { tasksVersion: 0n })));
    const res = await fetch(`${env.baseUrl}/api/actions/runner.v1.RunnerService/FetchTask`, {
      method: 'POST',
      headers: {
        'content-type': 'application/proto',
        'connect-protocol-version': '1',
        'content-encoding': 'gzip',
        'accept-encoding': 'gzip',
        'x-runner-uuid': c.creds.uuid,
        'x-runner-token': c.creds.token,
      },
      body: request,
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-encoding')).to.equal(null);
    const body = new Uint8Array(await res.arrayBuffer());
    const answer = fromBinary(FetchTaskResponseSchema, body);
    expect((answer.task?.context as { job?: string } | undefined)?.job).to.equal('j');
  });

  if (kind === 'postgres') {
    it('a job whose run another transaction holds is a lost race: no task, and the version the runner sent, so its next poll looks again', async () => {
      const r = nextRepo();
      const c = await env.runner({ scope: { repoId: r } });
      const known = (await c.fetchTask()).tasksVersion;
      const { run } = await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'held' }] });
      // another instance in the middle of changing the run (an emitter pass, a claim)
      await pollWhileHeld(c, known, (other) => other.raw('select id from action_run where id = ? for update', [run.id]), 'held');
    });
  }

  if (kind === 'sqlite') {
    it('an idle poll is answered while a transaction holds the one SQLite connection, from what is committed', async () => {
      const r = nextRepo();
      const c = await env.runner({ scope: { repoId: r } });
      const known = (await c.fetchTask()).tasksVersion;
      // a push in the middle of creating its run: the plugin's only pooled connection is taken
      await pollWhileHeld(c, known, (push) => insertRun(push, env.dialect, { repoId: r, jobs: [{ job_id: 'uncommitted' }] }), 'uncommitted');
    });
  }

  it('a claim in a run that has already failed leaves it failed; in a waiting run it starts the run', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    const { run } = await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'first' }, { job_id: 'second' }] });
    const runStatus = async () => Number((await env.knex('action_run').where({ id: run.id }).first('status')).status);
    const first = await c.fetchTask();
    expect(await runStatus()).to.equal(6); // running
    await c.runTask(first.tasks[0]!, { result: Result.FAILURE });
    expect(await runStatus()).to.equal(2); // failure: it outranks the job still waiting
    const second = await c.fetchTask();
    expect(second.tasks).to.have.length(1);
    expect(await runStatus()).to.equal(2);
    await c.runTask(second.tasks[0]!);
    expect(await runStatus()).to.equal(2);
  });

  it('a claimed task carries the secrets and variables of its run: repository over owner over instance, none of other scopes', async () => {
    const r = nextRepo();
    const owner = 700 + r;
    const service = env.server.plugin.service;
    await service.secrets.set({}, 'everywhere', 'instance secret');
    await service.secrets.set({}, 'shared_secret', 'instance');
    await service.secrets.set({ ownerId: owner }, 'shared_secret', 'owner');
    await service.secrets.set({ repoId: r }, 'shared_secret', 'repository');
    await service.secrets.set({ ownerId: owner + 1 }, 'foreign_secret', 'no');
    await service.variables.set({ ownerId: owner }, 'org_var', 'owner variable');
    await service.variables.set({ ownerId: owner }, 'shared_var', 'owner');
    await service.variables.set({ repoId: r }, 'shared_var', 'repository');
    await service.variables.set({ repoId: r + 1000 }, 'foreign_var', 'no');
    await insertRun(env.knex, env.dialect, { repoId: r, ownerId: owner, jobs: [{ job_id: 'j' }] });
    const c = await env.runner({ scope: { repoId: r } });
    const [task] = (await c.fetchTask()).tasks;
    const token = (task!.context as { token: string }).token;
    expect(task!.secrets).to.deep.equal({
      EVERYWHERE: 'instance secret',
      SHARED_SECRET: 'repository',
      GITHUB_TOKEN: token,
      GITEA_TOKEN: token,
      FORGEJO_TOKEN: token,
    });
    expect(task!.vars).to.deep.equal({ ORG_VAR: 'owner variable', SHARED_VAR: 'repository' });
    await service.secrets.delete({}, 'everywhere');
    await service.secrets.delete({}, 'shared_secret');
  });

  it('a runner sees the jobs of its scope only: repository, owner, instance', async () => {
    const r1 = nextRepo();
    const r2 = nextRepo();
    const owner = 900 + r1;
    await insertRun(env.knex, env.dialect, { repoId: r1, ownerId: owner, jobs: [{ job_id: 'a' }] });
    await insertRun(env.knex, env.dialect, { repoId: r2, ownerId: owner + 1, jobs: [{ job_id: 'b' }] });
    const other = await env.runner({ scope: { repoId: nextRepo() } });
    expect((await other.fetchTask()).tasks).to.have.length(0);
    const ownerRunner = await env.runner({ scope: { ownerId: owner + 1 } });
    const got = await ownerRunner.fetchTask();
    expect(got.tasks).to.have.length(1);
    expect((got.tasks[0]!.context as { job: string }).job).to.equal('b');
    const repoRunner = await env.runner({ scope: { repoId: r1 } });
    const got2 = await repoRunner.fetchTask();
    expect((got2.tasks[0]!.context as { job: string }).job).to.equal('a');
  });

  it('an instance runner takes jobs of any repository, up to task_capacity per call', async () => {
    const r = nextRepo();
    // drain whatever earlier tests left for instance runners first
    const sweeper = await env.runner({ capacity: 64, labels: ['ubuntu-latest', 'linux', 'gpu'] });
    await sweeper.fetchTask();
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'a', runs_on: ['only-here'] }, { job_id: 'b', runs_on: ['only-here'] }, { job_id: 'c', runs_on: ['only-here'] }] });
    const c = await env.runner({ labels: ['only-here'], capacity: 2 });
    const first = await c.fetchTask();
    expect(first.tasks).to.have.length(2);
    expect(first.response.task).to.not.equal(undefined);
    expect(first.response.additionalTasks).to.have.length(1);
    const single = await env.runner({ labels: ['only-here'], capacity: undefined });
    const second = await single.fetchTask();
    expect(second.tasks).to.have.length(1);
    expect((await single.fetchTask()).tasks).to.have.length(0);
  });

  it('a runner whose cached version is current learns about a new job through the version bump', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    const idle = await c.fetchTask();
    expect(idle.tasks).to.have.length(0);
    expect(c.tasksVersion).to.equal(idle.tasksVersion);
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'late' }] });
    const got = await c.fetchTask();
    expect(got.tasks).to.have.length(1);
  });

  it('a lost response: the retry with the same key gets the same task with a new token, and the old token stops working', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r }, capacity: 2 });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'a' }, { job_id: 'b' }, { job_id: 'c' }] });
    const lost = await c.fetchTask({ dropResponse: true });
    const lostTasks = [lost.response.task!, ...lost.response.additionalTasks];
    expect(lostTasks).to.have.length(2);
    expect(c.pendingKey).to.equal(lost.requestKey);
    const oldToken = (lostTasks[0]!.context as { token: string }).token;
    expect(await tokenIsCurrent(env.knex, lostTasks[0]!.id, oldToken)).to.equal(true);

    const retry = await c.fetchTask();
    expect(retry.requestKey).to.equal(lost.requestKey);
    expect(retry.tasksVersion).to.equal(0n);
    expect(retry.tasks.map((t) => t.id)).to.deep.equal(lostTasks.map((t) => t.id));
    for (const [i, t] of retry.tasks.entries()) {
      const token = (t.context as { token: string }).token;
      expect(token).to.not.equal((lostTasks[i]!.context as { token: string }).token);
      expect(t.secrets.GITHUB_TOKEN).to.equal(token);
      expect(await tokenIsCurrent(env.knex, t.id, token)).to.equal(true);
      expect(await tokenIsCurrent(env.knex, t.id, (lostTasks[i]!.context as { token: string }).token)).to.equal(false);
      expect(decode(t.workflowPayload)).to.equal(decode(lostTasks[i]!.workflowPayload));
    }
    // two tasks were created, not four; the third job is still waiting for the next (new-key) call
    expect(Number((await env.knex('action_task').where({ runner_id: c.creds.id }).count('* as n').first())!.n)).to.equal(2);
    const next = await c.fetchTask();
    expect(next.requestKey).to.not.equal(lost.requestKey);
    expect(next.tasks).to.have.length(1);
  });

  it('a retry with the key of a call that assigned tasks gets them back whatever version it carries, the current one included', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'a' }] });
    const lost = await c.fetchTask({ dropResponse: true });
    expect(lost.response.task).to.not.equal(undefined);
    // a runner whose version happens to equal the current one (its server's database was restored, say)
    c.tasksVersion = lost.response.tasksVersion;
    const retry = await c.fetchTask();
    expect(retry.requestKey).to.equal(lost.requestKey);
    expect(retry.tasks.map((t) => t.id)).to.deep.equal([lost.response.task!.id]);
    expect(retry.tasksVersion).to.equal(0n);
  });

  it('request keys are scoped to their runner, and calls without a key never replay', async () => {
    const r = nextRepo();
    const a = await env.runner({ scope: { repoId: r } });
    const b = await env.runner({ scope: { repoId: r } });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'a' }, { job_id: 'b' }] });
    const got = await a.fetchTask();
    expect(got.tasks).to.have.length(1);
    b.pendingKey = got.requestKey; // a leaked key
    const other = await b.fetchTask();
    expect(other.tasks).to.have.length(1);
    expect(other.tasks[0]!.id).to.not.equal(got.tasks[0]!.id);
    expect(other.tasksVersion).to.not.equal(0n);
    const noKey = await a.fetchTask({ noRequestKey: true });
    expect(noKey.tasks).to.have.length(0);
  });

  // with one job the call that waited finds no candidate at all; with three it finds some it must not take
  for (const jobCount of [1, 3]) {
    it(`concurrent calls with the same key are answered with the same tasks, assigned once (${jobCount} waiting)`, async () => {
      const r = nextRepo();
      const c = await env.runner({ scope: { repoId: r } });
      await insertRun(env.knex, env.dialect, { repoId: r, jobs: ['a', 'b', 'c'].slice(0, jobCount).map((job_id) => ({ job_id })) });
      c.pendingKey = 'same-key-for-all';
      const twins = Array.from({ length: 3 }, () => new RunnerClient(env.baseUrl, c.creds));
      for (const t of twins) t.pendingKey = 'same-key-for-all';
      const results = await Promise.all(twins.map((t) => t.fetchTask()));
      const ids = results.map((res) => res.tasks.map((t) => Number(t.id)));
      expect(ids[0]).to.have.length(1);
      expect(ids[1]).to.deep.equal(ids[0]);
      expect(ids[2]).to.deep.equal(ids[0]);
      expect(Number((await env.knex('action_task').where({ runner_id: c.creds.id }).count('* as n').first())!.n)).to.equal(1);
    });
  }

  it('an ephemeral runner gets one task in its life and is gone after its final report', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r }, ephemeral: true, capacity: 3 });
    await insertRun(env.knex, env.dialect, { repoId: r, jobs: [{ job_id: 'a' }, { job_id: 'b' }] });
    const got = await c.fetchTask();
    expect(got.tasks).to.have.length(1);
    expect((await c.fetchTask()).tasks).to.have.length(0);
    await c.runTask(got.tasks[0]!);
    await expectCode(c.fetchTask(), 'unauthenticated', /^unregistered runner$/);
    const row = await env.knex('action_runner').where({ id: c.creds.id }).first();
    expect(Number(row.deleted)).to.be.greaterThan(0);
    // the other job is still there for someone else
    const d = await env.runner({ scope: { repoId: r } });
    expect((await d.fetchTask()).tasks).to.have.length(1);
  });

  it('needs carry the aggregate result and merged outputs of the needed jobs', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    const { jobs } = await insertRun(env.knex, env.dialect, {
      repoId: r,
      jobs: [{ job_id: 'a' }, { job_id: 'b', needs: ['a'], status: 7 }],
    });
    const got = await c.fetchTask();
    expect(got.tasks).to.have.length(1);
    await c.runTask(got.tasks[0]!, { outputs: { version: '1.2.3', empty: '' } });
    // the run lifecycle unblocks b; here the fixture does it
    await env.knex('action_run_job').where({ id: jobs[1]!.id }).update({ status: 5 });
    await env.knex('action_tasks_version').increment('version', 1);
    const next = await c.fetchTask();
    expect(next.tasks).to.have.length(1);
    const need = next.tasks[0]!.needs.a!;
    expect(need.result).to.equal(Result.SUCCESS);
    expect(need.outputs).to.deep.equal({ version: '1.2.3', empty: '' });
  });

  it('skips jobs whose run is queued behind another run of its concurrency group', async () => {
    const r = nextRepo();
    const c = await env.runner({ scope: { repoId: r } });
    await insertRun(env.knex, env.dialect, { repoId: r, concurrencyGroup: 'g', concurrencyType: 1, status: 6, jobs: [{ job_id: 'first', status: 6 }] });
    await insertRun(env.knex, env.dialect, { repoId: r, concurrencyGroup: 'g', concurrencyType: 1, jobs: [{ job_id: 'queued' }] });
    expect((await c.fetchTask()).tasks).to.have.length(0);
    await env.knex('action_run').where({ repo_id: r, status: 6 }).update({ status: 1 });
    await env.knex('action_tasks_version').increment('version', 1);
    expect((await c.fetchTask()).tasks).to.have.length(1);
  });

  it('refuses bad input: negative capacity or version, an oversized key', async () => {
    const c = await env.runner();
    await expectCode(c.rpc.fetchTask({ tasksVersion: 0n, taskCapacity: -1n }, { headers: c.headers() }), 'invalid_argument', /task_capacity/);
    await expectCode(c.rpc.fetchTask({ tasksVersion: -5n }, { headers: c.headers() }), 'invalid_argument', /tasks_version/);
    await expectCode(c.rpc.fetchTask({ tasksVersion: 0n }, { headers: c.headers({ 'x-runner-request-key': 'k'.repeat(300) }) }), 'invalid_argument');
  });

  it('a registration token of another scope registers a runner of that scope', async () => {
    const token = await getOrCreateRegistrationToken(env.deps, { ownerId: 5, repoId: 6 });
    const c = await RunnerClient.register(env.baseUrl, { token });
    const row = await env.knex('action_runner').where({ uuid: c.creds.uuid }).first();
    expect([Number(row.owner_id), Number(row.repo_id)]).to.deep.equal([0, 6]);
  });
});
