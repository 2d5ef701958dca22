// Issue 9, part 3: security checks through the real protocol client over HTTP,
// on SQLite and PostgreSQL.
import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { insertRun } from '../support/fixtures.js';
import { Result } from '../support/runner-client.js';
import { protocolClients } from '../support/runner-client.js';
import { resetRegistrationToken, getOrCreateRegistrationToken } from '../../lib/runners.js';
import { upsertRepository } from '../../lib/repositories.js';
import { expectCode } from '../runner/helpers.js';
import { startSecurityEnv, type SecurityEnv } from './helpers.js';

const REPO_A = { id: 101, owner: 11 };
const REPO_B = { id: 202, owner: 22 };
const REPO_A2 = { id: 103, owner: 11 }; // another repository of A's owner

forEachDatabase('security: runners, task tokens, registration tokens, secrets', (kind) => {
  let env: SecurityEnv;
  beforeEach(async () => (env = await startSecurityEnv(kind)));
  afterEach(async () => env.close());

  const job = (r: { id: number; owner: number }, steps?: Array<Record<string, unknown>>) =>
    insertRun(env.knex, env.dialect, { repoId: r.id, ownerId: r.owner, fullName: `owner${r.owner}/repo${r.id}`, jobs: [{ job_id: 'build', steps }] });

  it("a repository's runner never receives another repository's job, even when it is the only one", async () => {
    const runnerA = await env.runner({ scope: { repoId: REPO_A.id } });
    const { jobs } = await job(REPO_B);
    for (let i = 0; i < 3; i++) expect((await runnerA.fetchTask()).tasks).to.have.length(0);
    const b = await env.knex('action_run_job').where({ id: jobs[0]!.id }).first('status', 'task_id');
    expect([Number(b.status), Number(b.task_id)]).to.deep.equal([5, 0]);
    // its own repository's job does reach it
    const own = await job(REPO_A);
    const got = (await runnerA.fetchTask()).tasks;
    expect(got).to.have.length(1);
    const task = await env.knex('action_task').where({ id: Number(got[0]!.id) }).first('job_id', 'repo_id');
    expect([Number(task.job_id), Number(task.repo_id)]).to.deep.equal([own.jobs[0]!.id, REPO_A.id]);
  });

  it("an owner's runner sees every repository of its owner and none of another owner", async () => {
    const runnerX = await env.runner({ scope: { ownerId: REPO_A.owner } });
    await job(REPO_B);
    expect((await runnerX.fetchTask()).tasks).to.have.length(0);
    await job(REPO_A2);
    const got = (await runnerX.fetchTask()).tasks;
    expect(got).to.have.length(1);
    expect(Number((await env.knex('action_task').where({ id: Number(got[0]!.id) }).first('repo_id')).repo_id)).to.equal(REPO_A2.id);
    expect((await runnerX.fetchTask()).tasks).to.have.length(0);
  });

  it("a task token resolves to its own repository only, read-only for a fork pull request, and dies with its task", async () => {
    const runner = await env.runner({ scope: { ownerId: REPO_A.owner } });
    await job(REPO_A);
    const [task] = (await runner.fetchTask()).tasks;
    const token = String(task!.context?.token);
    expect(token).to.match(/^[0-9a-f]{40}$/);
    const info = await env.server.plugin.verifyTaskToken(token);
    expect(info).to.include({ repoId: REPO_A.id, ownerId: REPO_A.owner, access: 'write' });
    // it is nobody's runner credential
    await expectCode(protocolClients(env.server.baseUrl).runner.fetchTask({}, { headers: { 'x-runner-uuid': runner.creds.uuid, 'x-runner-token': token } }), 'unauthenticated');
    // near misses resolve to nothing
    expect(await env.server.plugin.verifyTaskToken(token.toUpperCase())).to.equal(null);
    expect(await env.server.plugin.verifyTaskToken(`${token.slice(0, 39)}${token.endsWith('0') ? '1' : '0'}`)).to.equal(null);
    await runner.runTask(task!, { result: Result.SUCCESS });
    expect(await env.server.plugin.verifyTaskToken(token)).to.equal(null);

    // a fork pull request's task token reads only
    const fork = await job(REPO_A);
    await env.knex('action_run_job').where({ id: fork.jobs[0]!.id }).update({ is_fork_pull_request: true });
    const [forkTask] = (await runner.fetchTask()).tasks;
    expect(await env.server.plugin.verifyTaskToken(String(forkTask!.context?.token))).to.include({ repoId: REPO_A.id, access: 'read' });
  });

  it("an ephemeral runner's credentials die with its one task, and it never gets a second", async () => {
    const eph = await env.runner({ scope: { repoId: REPO_A.id }, ephemeral: true });
    await job(REPO_A);
    await job(REPO_A);
    const [task] = (await eph.fetchTask({ capacity: 5 })).tasks;
    expect(task).to.not.equal(undefined);
    // while the task runs, another fetch hands out nothing
    expect((await eph.fetchTask({ capacity: 5 })).tasks).to.have.length(0);
    const rep = eph.reporter(task!);
    rep.log('working');
    await rep.close(Result.SUCCESS);
    await expectCode(eph.fetchTask(), 'unauthenticated');
    await expectCode(eph.declare(['x']), 'unauthenticated');
    await expectCode(rep.sendState(), 'unauthenticated');
    await expectCode(rep.sendLogs(), 'unauthenticated');
    const waiting = await env.knex('action_run_job').where({ repo_id: REPO_A.id, status: 5, task_id: 0 }).count({ c: '*' }).first();
    expect(Number(waiting!.c)).to.equal(1);
  });

  it("an owner's registration token registers runners of that owner only; a reset token is refused", async () => {
    const tokenX = await getOrCreateRegistrationToken(env.deps, { ownerId: REPO_A.owner });
    const { runner: rpc } = protocolClients(env.server.baseUrl);
    const res = await rpc.register({ name: 'x1', token: tokenX, labels: ['ubuntu-latest'], version: 'v12.0.0' });
    const row = await env.knex('action_runner').where({ uuid: res.runner!.uuid }).first('owner_id', 'repo_id');
    expect([Number(row.owner_id), Number(row.repo_id)]).to.deep.equal([REPO_A.owner, 0]);
    // it cannot fetch owner Y's jobs
    await job(REPO_B);
    const headers = { 'x-runner-uuid': res.runner!.uuid, 'x-runner-token': res.runner!.token };
    const fetched = await rpc.fetchTask({ tasksVersion: 0n }, { headers });
    expect(fetched.task).to.equal(undefined);
    expect(fetched.additionalTasks).to.have.length(0);
    // after a reset, the old token registers nothing
    const fresh = await resetRegistrationToken(env.deps, { ownerId: REPO_A.owner });
    const before = await env.knex('action_runner').count({ c: '*' }).first();
    await expectCode(rpc.register({ name: 'x2', token: tokenX, labels: ['a'] }), 'invalid_argument', /invalidated/);
    expect(Number((await env.knex('action_runner').count({ c: '*' }).first())!.c)).to.equal(Number(before!.c));
    // and the new one still registers within owner X
    const again = await rpc.register({ name: 'x3', token: fresh, labels: ['a'] });
    expect(Number((await env.knex('action_runner').where({ uuid: again.runner!.uuid }).first('owner_id')).owner_id)).to.equal(REPO_A.owner);
  });

  it('a secret never appears in REST answers, error messages, the logger output or the database in plaintext', async () => {
    const SECRET = 'zq-very-distinctive-secret-7c41e9';
    const repo = { id: REPO_A.id, name: `repo${REPO_A.id}`, full_name: `owner${REPO_A.owner}/repo${REPO_A.id}`, owner: { id: REPO_A.owner, login: `owner${REPO_A.owner}` }, default_branch: 'main' };
    await upsertRepository(env.deps, repo);
    const base = `/repos/${repo.full_name}/actions`;
    expect((await env.rest('PUT', `${base}/secrets/DEPLOY_KEY`, { data: SECRET })).status).to.equal(201);
    expect((await env.rest('PUT', `/orgs/${repo.owner.login}/actions/secrets/ORG_KEY`, { data: SECRET })).status).to.equal(201);

    const runner = await env.runner({ scope: { repoId: REPO_A.id } });
    const { run, jobs } = await job(REPO_A, [{ name: 'leak', run: 'echo ${{ secrets.DEPLOY_KEY }}' }]);
    const [task] = (await runner.fetchTask()).tasks;
    // the runner does receive it: that is what secrets are for
    expect(task!.secrets.DEPLOY_KEY).to.equal(SECRET);
    const rep = runner.reporter(task!);
    rep.startStep(0);
    rep.log(`echo ${SECRET}`);
    rep.endStep(0, Result.SUCCESS);
    await rep.close(Result.SUCCESS);

    const answers = [
      await env.rest('GET', `${base}/secrets`),
      await env.rest('GET', `/orgs/${repo.owner.login}/actions/secrets`),
      await env.rest('GET', `${base}/runs`),
      await env.rest('GET', `${base}/runs/${run.id}`),
      await env.rest('GET', `${base}/runs/${run.id}/jobs`),
      await env.rest('GET', `${base}/jobs/${jobs[0]!.id}`),
      // using it wrongly: as a name, in a bad body, as an id, as a variable name
      await env.rest('PUT', `${base}/secrets/${encodeURIComponent(SECRET)}`, { data: SECRET }),
      await env.rest('PUT', `${base}/secrets/BAD`, { data: [SECRET] }),
      await env.rest('PUT', `${base}/secrets/GITHUB_X`, { data: SECRET }),
      await env.rest('GET', `${base}/runs/${encodeURIComponent(SECRET)}`),
      await env.rest('POST', `${base}/variables/${encodeURIComponent(SECRET)}`, { value: 1 }),
      // (a caller's own `ref` may be echoed back in an error; a stored secret must not be)
      await env.rest('POST', `${base}/workflows/ci.yml/dispatches`, { ref: 'main', inputs: { x: SECRET } }),
    ];
    for (const a of answers) expect(a.text, `${a.status} ${a.text}`).not.to.contain(SECRET);
    expect(answers.slice(6).every((a) => a.status >= 400 && a.status < 500)).to.equal(true);
    expect(JSON.parse(answers[0]!.text).secrets.map((s: { name: string }) => s.name)).to.deep.equal(['DEPLOY_KEY']);

    // the task token is no secret-reader either
    expect(await env.server.plugin.verifyTaskToken(SECRET)).to.equal(null);

    expect(env.logs.join('\n')).not.to.contain(SECRET);

    // sealed at rest: neither the secret rows nor any other table holds it (the log is what the runner sent)
    const rows = await env.knex('action_secret').select('*');
    expect(rows).to.have.length(2);
    for (const r of rows) expect(JSON.stringify(r)).not.to.contain(SECRET);
    const tables = ['action_run', 'action_run_job', 'action_task', 'action_task_step', 'action_task_output', 'action_variable', 'action_runner', 'action_setting'];
    for (const t of tables) expect(JSON.stringify(await env.knex(t).select('*')), t).not.to.contain(SECRET);
  });
});
