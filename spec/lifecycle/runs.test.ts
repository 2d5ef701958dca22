import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import { InvalidArgument } from '../../lib/index.js';
import { runnerFor } from '../support/drive.js';

const diamond = `
name: ci
on: push
jobs:
  a:
    runs-on: ubuntu
    steps: [{ run: echo a }]
  b:
    needs: a
    runs-on: ubuntu
    strategy: { matrix: { n: [1, 2] } }
    steps: [{ run: echo b }]
  c:
    needs: a
    runs-on: ubuntu
    steps: [{ run: echo c }]
  d:
    needs: [b, c]
    if: always()
    runs-on: ubuntu
    steps: [{ run: echo d }]
`;

forEachDatabase('runs from forge events', (kind) => {
  let t: TestServer;
  let host: MemoryHost;
  beforeEach(async () => {
    host = new MemoryHost();
    t = await startTestServer(kind, { host });
  });
  afterEach(() => t.close());

  it('a push writes the run and all its jobs: waiting without needs, blocked with needs', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const runs = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha, 'Add CI\n\nbody'));
    expect(runs).to.have.length(1);
    expect(runs[0]).to.include({ run_number: 1, workflow_id: 'ci.yml', event: 'push', status: 'waiting' });
    const run = await t.plugin.service.runs.get(repo.id, runs[0]!.id);
    expect(run).to.include({ title: 'Add CI', ref: 'refs/heads/main', commit_sha: sha, trigger_user: 'alice' });
    const { items: jobs } = await t.plugin.service.runs.jobs(repo.id, run.id);
    expect(jobs.map((j) => [j.job_id, j.name, j.status])).to.deep.equal([
      ['a', 'a', 'waiting'],
      ['b', 'b (1)', 'blocked'],
      ['b', 'b (2)', 'blocked'],
      ['c', 'c', 'blocked'],
      ['d', 'd', 'blocked'],
    ]);
    expect(jobs[3]!.waiting_reason).to.equal('blocked on needs: a');
    expect(jobs[0]!.waiting_reason).to.equal('no online runner has labels ubuntu');
  });

  it('a page of a run\'s jobs keeps the whole run\'s count, and its waiting reasons see the jobs of other pages', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    const page = await t.plugin.service.runs.jobs(repo.id, run!.id, { page: 2, limit: 2 });
    expect(page.total_count).to.equal(5);
    expect(page.items.map((j) => [j.name, j.waiting_reason])).to.deep.equal([
      ['b (2)', 'blocked on needs: a'],
      ['c', 'blocked on needs: a'],
    ]);
    expect((await t.plugin.service.runs.jobs(repo.id, run!.id, { page: 4, limit: 2 })).items).to.deep.equal([]);
  });

  it('run numbers count per repository across workflows', async () => {
    const repo = host.repo('alice/app', 1);
    const other = host.repo('bob/lib', 2);
    const files = { '.forgejo/workflows/a.yml': 'on: push\njobs: { x: { runs-on: u, steps: [{ run: x }] } }', '.forgejo/workflows/b.yml': 'on: push\njobs: { y: { runs-on: u, steps: [{ run: y }] } }' };
    const s1 = host.commit(repo, 'refs/heads/main', files);
    const s2 = host.commit(other, 'refs/heads/main', files);
    const r1 = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', s1));
    const r2 = await t.plugin.hooks.push(pushPayload(other, 'refs/heads/main', s2));
    expect(r1.map((r) => r.run_number).sort()).to.deep.equal([1, 2]);
    expect(r2.map((r) => r.run_number).sort()).to.deep.equal([1, 2]);
  });

  it('the same delivery creates its runs once', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const payload = pushPayload(repo, 'refs/heads/main', sha);
    const first = await t.plugin.hooks.push(payload);
    const again = await t.plugin.hooks.push(payload);
    expect(again.map((r) => r.id)).to.deep.equal(first.map((r) => r.id));
    expect((await t.plugin.service.runs.list({ repoId: repo.id })).total_count).to.equal(1);
  });

  it('an invalid workflow gives a failed run whose reason a person can read', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', {
      '.forgejo/workflows/bad.yml': 'on: push\njobs:\n  a:\n    runs-on: u\n    needs: nope\n    steps: [{ run: x }]\n',
    });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    expect(run!.status).to.equal('failure');
    const failed = await t.plugin.service.runs.get(repo.id, run!.id);
    expect(failed.pre_execution_error).to.match(/^Unable to parse jobs in workflow: .*bad\.yml.*nope/);
    const { items } = await t.plugin.service.runs.jobs(repo.id, run!.id);
    expect(items.map((j) => j.status)).to.deep.equal(['failure']);
    expect(items[0]!.stopped).to.equal(failed.created);
  });

  it('a run that fails before it starts wakes no runner', async () => {
    const repo = host.repo('alice/app', 1);
    const runner = await runnerFor(t);
    await runner.fetchTask();
    const seen = runner.tasksVersion;
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/bad.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu\n    needs: nope\n    steps: [{ run: x }]\n' });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    expect(run!.status).to.equal('failure');
    const { tasks, tasksVersion } = await runner.fetchTask();
    expect(tasks).to.deep.equal([]);
    expect(tasksVersion).to.equal(seen);
  });

  it('an action named like an inherited property is an ordinary unknown action', async () => {
    const repo = host.repo('alice/app', 1);
    const wf = 'on: [pull_request, issues]\njobs:\n  t: { runs-on: u, steps: [{ run: x }] }\n';
    const head = host.commit(repo, 'refs/pull/1/head', { '.forgejo/workflows/w.yml': wf });
    host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/w.yml': wf });
    const pr = { number: 1, title: 't', user: { id: 7, login: 'alice' }, head: { ref: 'f', sha: head, repo: { id: 1 } }, base: { ref: 'main', repo: { id: 1 } } };
    const sender = { id: 7, login: 'alice' };
    expect(await t.plugin.hooks.pullRequest({ action: 'constructor', number: 1, pull_request: pr, repository: repo, sender })).to.deep.equal([]);
    // `issues` without `types` takes every action: a plain issues run, named as such
    const runs = await t.plugin.hooks.issues({ action: 'toString', issue: { number: 2, title: 'i' }, repository: repo, sender });
    expect(runs.map((r) => r.event)).to.deep.equal(['issues']);
  });

  it('skip-ci markers in the head commit skip the push', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    expect(await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha, 'docs [skip ci]'))).to.deep.equal([]);
  });

  it('a malformed payload is refused with the field named and nothing written', async () => {
    const repo = host.repo('alice/app', 1);
    const err = await t.plugin.hooks.push({ ref: 'refs/heads/main', after: 'abc', repository: { ...repo, id: 'x' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidArgument);
    expect(String(err)).to.match(/repository\.id/);
    expect((await t.plugin.service.runs.list({ repoId: repo.id })).total_count).to.equal(0);
  });

  it('a new push to the same branch cancels the earlier run (cancel-in-progress by default)', async () => {
    const repo = host.repo('alice/app', 1);
    const s1 = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const [first] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', s1));
    const s2 = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond + '\n' });
    const [second] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', s2));
    expect((await t.plugin.service.runs.get(repo.id, first!.id)).status).to.equal('cancelled');
    expect((await t.plugin.service.runs.get(repo.id, second!.id)).status).to.equal('waiting');
  });

  it('cancelling a job settles its dependents at once instead of after the 24 h sweep', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    const { items } = await t.plugin.service.runs.jobs(repo.id, run!.id);
    await t.plugin.service.runs.cancelJob(repo.id, items[0]!.id);
    const after = (await t.plugin.service.runs.jobs(repo.id, run!.id)).items;
    // b and c have no `if`: skipped; d has `if: always()`: it still runs
    expect(after.map((j) => [j.job_id, j.status])).to.deep.equal([
      ['a', 'cancelled'],
      ['b', 'skipped'],
      ['b', 'skipped'],
      ['c', 'skipped'],
      ['d', 'waiting'],
    ]);
    expect((await t.plugin.service.runs.get(repo.id, run!.id)).status).to.equal('cancelled');
  });

  it('commit statuses follow the jobs and are written only on change', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    const first = host.statuses.map((s) => `${s.context}|${s.state}|${s.description}`);
    expect(first).to.include('ci / a (push)|pending|Waiting to run');
    expect(first).to.include('ci / d (push)|pending|Blocked by required conditions');
    const count = host.statuses.length;
    await t.plugin.service.runs.cancel(repo.id, run!.id);
    const after = host.statuses.slice(count).map((s) => `${s.context}|${s.state}|${s.description}`);
    expect(after).to.have.length(5);
    expect(after).to.include('ci / a (push)|failure|Has been cancelled');
  });

  it('a commit status the host failed to take is written again by the reconciliation pass, once', async () => {
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': diamond });
    const [run] = await t.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
    const working = host.createCommitStatus.bind(host);
    host.createCommitStatus = async () => {
      throw new Error('forge is down');
    };
    await t.plugin.service.runs.cancel(repo.id, run!.id);
    host.createCommitStatus = working;
    const count = host.statuses.length;
    await t.plugin.jobs.run('reconcile');
    const resent = host.statuses.slice(count).map((s) => `${s.context}|${s.state}|${s.description}`);
    expect(resent).to.have.length(5);
    expect(resent).to.include('ci / a (push)|failure|Has been cancelled');
    // what the host has is not sent again
    await t.plugin.jobs.run('reconcile');
    expect(host.statuses).to.have.length(count + 5);
  });

  it('fork pull requests wait for approval; approving starts them; closing cancels what still waits', async () => {
    const repo = host.repo('alice/app', 1);
    const wf = 'on: pull_request\njobs:\n  t:\n    runs-on: u\n    steps: [{ run: x }]\n  u:\n    needs: t\n    runs-on: u\n    steps: [{ run: y }]\n';
    const head = host.commit(repo, 'refs/pull/3/head', { '.forgejo/workflows/pr.yml': wf });
    host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/pr.yml': wf });
    const pr = (action: string, number: number) => ({
      action,
      number,
      pull_request: {
        number,
        title: 'From a fork',
        user: { id: 99, login: 'mallory' },
        head: { ref: 'feature', sha: head, repo: { id: 500 } },
        base: { ref: 'main', sha: '', repo: { id: repo.id } },
        merged: false,
      },
      repository: repo,
      sender: { id: 99, login: 'mallory' },
    });
    const [run] = await t.plugin.hooks.pullRequest(pr('opened', 3));
    const before = await t.plugin.service.runs.get(repo.id, run!.id);
    expect(before.need_approval).to.equal(true);
    const jobs = (await t.plugin.service.runs.jobs(repo.id, run!.id)).items;
    expect(jobs.map((j) => j.status)).to.deep.equal(['blocked', 'blocked']);
    expect(jobs[0]!.waiting_reason).to.match(/approval/);
    const approved = await t.plugin.service.runs.approve(repo.id, run!.id, 1);
    expect(approved.need_approval).to.equal(false);
    expect((await t.plugin.service.runs.jobs(repo.id, run!.id)).items.map((j) => j.status)).to.deep.equal(['waiting', 'blocked']);

    const [second] = await t.plugin.hooks.pullRequest(pr('reopened', 4));
    await t.plugin.hooks.pullRequest(pr('closed', 4));
    expect((await t.plugin.service.runs.get(repo.id, second!.id)).status).to.equal('cancelled');
  });

  it('a trusted fork author needs no approval', async () => {
    const repo = host.repo('alice/app', 1);
    host.writers.add(42);
    const wf = 'on: pull_request\njobs:\n  t:\n    runs-on: u\n    steps: [{ run: x }]\n';
    const head = host.commit(repo, 'refs/pull/5/head', { '.forgejo/workflows/pr.yml': wf });
    host.commit(repo, 'refs/heads/main', {});
    const [run] = await t.plugin.hooks.pullRequest({
      action: 'opened',
      number: 5,
      pull_request: { number: 5, title: 't', user: { id: 42, login: 'carol' }, head: { ref: 'f', sha: head, repo: { id: 501 } }, base: { ref: 'main', repo: { id: 1 } } },
      repository: repo,
      sender: { id: 42, login: 'carol' },
    });
    expect((await t.plugin.service.runs.get(repo.id, run!.id)).need_approval).to.equal(false);
  });
});
