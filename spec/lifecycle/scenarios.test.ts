// scenarios-top.md 18, 21, 25, 32, 33, 34, 53, 56, driven through hooks, dispatch and the runner client.
import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { useForge } from '../support/forge.js';
import { pushPayload } from '../support/memory-host.js';
import { drain, runnerFor } from '../support/drive.js';

/** a job whose matrix comes from another job's output: planned only once that output exists */
const dynamicMatrixJobs = `jobs:
  define: { runs-on: ubuntu, outputs: { m: x }, steps: [{ run: x }] }
  use:
    needs: define
    strategy: { matrix: { v: "\${{ fromJSON(needs.define.outputs.m) }}" } }
    runs-on: ubuntu
    steps: [{ run: x }]
`;

forEachDatabase('more run-lifecycle scenarios', (kind) => {
  const f = useForge(kind);
  const repo = () => f.repo();

  async function push(files: Record<string, string>, message = 'Update README.md') {
    const sha = f.host.commit(repo(), 'refs/heads/main', files);
    return f.t.plugin.hooks.push(pushPayload(repo(), 'refs/heads/main', sha, message));
  }
  const names = async (runId: number) => (await f.t.plugin.service.runs.jobs(repo().id, runId)).items.map((j) => [j.name, j.status]);

  it('18: a multi-dimensional dynamic matrix from one output expands to every combination, numbers unquoted', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  define-matrix: { runs-on: ubuntu, outputs: { m: x }, steps: [{ run: x }] }
  run-tests:
    needs: define-matrix
    runs-on: ubuntu
    strategy:
      matrix: \${{ fromJSON(needs.define-matrix.outputs.m) }}
    steps: [{ run: x }]
`,
    });
    await drain(await runnerFor(f.t), (name) => (name === 'define-matrix' ? { outputs: { m: '{"datacenter":["site-a","site-b"],"node":["12.x","14.x"],"pg":[17,18]}' } } : {}));
    const jobs = (await names(run!.id)).map(([n]) => n);
    expect(jobs.slice(1)).to.deep.equal([
      'run-tests (site-a, 12.x, 17)', 'run-tests (site-a, 12.x, 18)', 'run-tests (site-a, 14.x, 17)', 'run-tests (site-a, 14.x, 18)',
      'run-tests (site-b, 12.x, 17)', 'run-tests (site-b, 12.x, 18)', 'run-tests (site-b, 14.x, 17)', 'run-tests (site-b, 14.x, 18)',
    ]);
    expect((await f.t.plugin.service.runs.get(repo().id, run!.id)).status).to.equal('success');
  });

  it('21: the up-front check fails a static matrix whose runs-on names a missing dimension, and waits for a dynamic one', async () => {
    const [bad] = await push({
      '.forgejo/workflows/a.yml': `on: push
jobs:
  job_1:
    strategy: { matrix: { os: [nixos, ubuntu] } }
    runs-on: \${{ matrix.platform-oops-wrong-dimension }}
    steps: [{ run: x }]
`,
    });
    const failed = await f.t.plugin.service.runs.get(repo().id, bad!.id);
    expect(failed.status).to.equal('failure');
    expect(failed.pre_execution_error).to.equal('Unable to evaluate `runs-on` of job job_1: matrix dimension platform-oops-wrong-dimension does not exist.');
    const [dynamic] = await push({
      '.forgejo/workflows/a.yml': `on: push
jobs:
  define-matrix: { runs-on: ubuntu, outputs: { m: x }, steps: [{ run: x }] }
  job_1:
    needs: define-matrix
    strategy: { matrix: { os: "\${{ fromJSON(needs.define-matrix.outputs.m) }}" } }
    runs-on: \${{ matrix.platform-oops-wrong-dimension }}
    steps: [{ run: x }]
`,
    });
    expect((await f.t.plugin.service.runs.get(repo().id, dynamic!.id)).pre_execution_error).to.equal(null);
  });

  it('25: a dispatched workflow with a dynamic matrix is created blocked and flagged incomplete', async () => {
    f.host.commit(repo(), 'refs/heads/main', {
      '.forgejo/workflows/d.yml': `on: workflow_dispatch
${dynamicMatrixJobs}`,
    });
    const run = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'd.yml', ref: 'main', sender: { id: 7, login: 'alice' } });
    expect(await names(run.id)).to.deep.equal([
      ['define', 'waiting'],
      ['use (incomplete matrix)', 'blocked'],
    ]);
  });

  it('32/33: no commit status for an incomplete-matrix placeholder; a broken workflow gets a failure status', async () => {
    await push({
      '.forgejo/workflows/ci.yml': `on: push
${dynamicMatrixJobs}`,
      '.forgejo/workflows/broken.yml': 'on: push\njobs:\n\tbad: tabs\n',
    });
    const contexts = f.host.statuses.map((s) => `${s.context}|${s.state}`);
    expect(contexts).to.include('/ define (push)|pending');
    expect(contexts.some((c) => c.includes('use'))).to.equal(false);
    expect(contexts).to.include('broken.yml / Update README.md (push)|failure');
  });

  it('34: each pull request activity type starts only its workflow, with the head commit, pending then success', async () => {
    const types = ['opened', 'synchronize', 'labeled', 'unlabeled', 'assigned', 'unassigned', 'milestoned', 'demilestoned', 'closed', 'reopened'];
    const files: Record<string, string> = {};
    for (const type of types) files[`.forgejo/workflows/${type}.yml`] = `name: ${type}\non:\n  pull_request:\n    types: [${type}]\njobs:\n  ${type}: { runs-on: ubuntu, steps: [{ run: x }] }\n`;
    f.host.commit(repo(), 'refs/heads/main', files);
    const runner = await runnerFor(f.t);
    for (const [i, type] of types.entries()) {
      const head = f.host.commit(repo(), 'refs/pull/3/head', { ...files, [`n${i}`]: String(i) });
      const runs = await f.t.plugin.hooks.pullRequest({
        action: type,
        number: 3,
        pull_request: { number: 3, title: 't', user: { id: 7, login: 'alice' }, head: { ref: 'f', sha: head, repo: { id: 1 } }, base: { ref: 'main', repo: { id: 1 } } },
        repository: repo(),
        sender: { id: 7, login: 'alice' },
      });
      expect(runs.map((r) => r.workflow_id), type).to.deep.equal([`${type}.yml`]);
      const run = await f.t.plugin.service.runs.get(repo().id, runs[0]!.id);
      expect(run.commit_sha).to.equal(head);
      await drain(runner);
      const mine = f.host.statuses.filter((s) => s.context === `${type} / ${type} (pull_request)`).map((s) => s.state);
      expect(mine, type).to.deep.equal(['pending', 'pending', 'success']);
    }
  });

  it('53: a trusted maintainer labelling a fork pull request runs the base branch workflows, not the head ones', async () => {
    f.host.writers.add(1);
    const on = 'on:\n  pull_request:\n    types: [labeled, synchronize]\n';
    f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/pr.yml': `${on}jobs:\n  from-base: { runs-on: ubuntu, steps: [{ run: x }] }\n` });
    const head = f.host.commit(repo(), 'refs/pull/4/head', { '.forgejo/workflows/pr.yml': `${on}jobs:\n  from-head: { runs-on: ubuntu, steps: [{ run: evil }] }\n` });
    const event = (action: string, sender: { id: number; login: string }) => ({
      action,
      number: 4,
      pull_request: { number: 4, title: 'fork', user: { id: 99, login: 'mallory' }, head: { ref: 'f', sha: head, repo: { id: 77 } }, base: { ref: 'main', repo: { id: 1 } } },
      repository: repo(),
      sender,
    });
    const [labelled] = await f.t.plugin.hooks.pullRequest(event('labeled', { id: 1, login: 'admin' }));
    const run = await f.t.plugin.service.runs.get(repo().id, labelled!.id);
    expect(run.need_approval).to.equal(false);
    expect(run.commit_sha).to.equal(head);
    expect(await names(labelled!.id)).to.deep.equal([['from-base', 'waiting']]);
    const [synced] = await f.t.plugin.hooks.pullRequest(event('synchronize', { id: 99, login: 'mallory' }));
    expect((await f.t.plugin.service.runs.get(repo().id, synced!.id)).need_approval).to.equal(true);
    expect(await names(synced!.id)).to.deep.equal([['from-head', 'blocked']]);
  });

  it('56: a reusable workflow that is missing, private or calls itself fails the run with a readable reason', async () => {
    f.host.repo('bob/private', 3, { private: true });
    f.host.commit(f.host.repos.get('bob/private')!, 'refs/heads/main', { '.forgejo/workflows/r.yml': 'on: workflow_call\njobs:\n  a: { runs-on: u, steps: [{ run: x }] }\n' });
    const cases: Array<[string, RegExp]> = [
      ['./.forgejo/workflows/nope.yml', /nope\.yml/],
      ['bob/private/.forgejo/workflows/r.yml@main', /repository bob\/private not found/],
      ['./.forgejo/workflows/self.yml', /recursion/],
    ];
    for (const [uses, reason] of cases) {
      const [run] = await push({
        '.forgejo/workflows/ci.yml': `on: push\njobs:\n  call:\n    uses: ${uses}\n`,
        '.forgejo/workflows/self.yml': 'on: workflow_call\njobs:\n  again:\n    uses: ./.forgejo/workflows/self.yml\n',
      });
      const failed = await f.t.plugin.service.runs.get(repo().id, run!.id);
      expect(failed.status, uses).to.equal('failure');
      expect(failed.pre_execution_error, uses).to.match(reason);
    }
  });
});

forEachDatabase('reruns of reusable workflows and evaluated concurrency', (kind) => {
  const f = useForge(kind);
  const repo = () => f.repo();

  it('55: rerunning a run resolves its caller again: attempt 2, outputs of the new inner results only', async () => {
    const sha = f.host.commit(repo(), 'refs/heads/main', {
      '.forgejo/workflows/ci.yml': 'on: push\njobs:\n  call:\n    uses: ./.forgejo/workflows/r.yml\n  after:\n    needs: call\n    runs-on: ubuntu\n    steps: [{ run: x }]\n',
      '.forgejo/workflows/r.yml': `on:
  workflow_call:
    outputs:
      out:
        value: \${{ jobs.inner.outputs.v }}
jobs:
  inner:
    runs-on: ubuntu
    outputs: { v: x }
    steps: [{ run: x }]
`,
    });
    const [run] = await f.t.plugin.hooks.push(pushPayload(repo(), 'refs/heads/main', sha));
    const runner = await runnerFor(f.t);
    let seen: string[] = [];
    const outcome = (value: string) => (name: string, task: { needs: Record<string, { outputs: Record<string, string> }> }) => {
      if (name === 'after') seen.push(task.needs.call!.outputs.out!);
      return name === 'inner' ? { outputs: { v: value } } : {};
    };
    await drain(runner, outcome('obsolete value'));
    expect(seen).to.deep.equal(['obsolete value']);
    await f.t.plugin.service.runs.rerun(repo().id, run!.id);
    seen = [];
    await drain(runner, outcome('fresh value'));
    expect(seen).to.deep.equal(['fresh value']);
    const caller = (await f.t.plugin.service.runs.jobs(repo().id, run!.id)).items.find((j) => j.job_id === 'call')!;
    expect([caller.status, caller.attempt]).to.deep.equal(['success', 2]);
  });

  it('27: a concurrency group may use inputs and vars; a group without cancel-in-progress queues only when cancel is false', async () => {
    await f.t.plugin.service.variables.create({ repoId: repo().id }, 'def', '456');
    f.host.commit(repo(), 'refs/heads/main', {
      '.forgejo/workflows/g.yml': `on:
  workflow_dispatch:
    inputs:
      abc: { type: string, default: "123" }
concurrency:
  group: \${{ inputs.abc }}-\${{ vars.def }}
  cancel-in-progress: false
jobs:
  a: { runs-on: ubuntu, steps: [{ run: x }] }
`,
    });
    const sender = { id: 7, login: 'alice' };
    const first = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'g.yml', ref: 'main', inputs: {}, sender });
    const second = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'g.yml', ref: 'main', inputs: {}, sender });
    const job = (await f.t.plugin.service.runs.jobs(repo().id, second.id)).items[0]!;
    expect(job.waiting_reason).to.equal('queued behind concurrency group 123-456');
    expect((await f.t.plugin.service.runs.get(repo().id, first.id)).status).to.equal('waiting');
  });
});

forEachDatabase('a concurrency group that cannot be evaluated', (kind) => {
  const f = useForge(kind);
  const bad = 'concurrency:\n  group: ${{ fromJSON(\'{bad\') }}\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';

  it('is refused to a dispatch with a readable reason, and nothing is written', async () => {
    f.host.commit(f.repo(), 'refs/heads/main', { '.forgejo/workflows/d.yml': `on: workflow_dispatch\n${bad}` });
    const err = await f.t.plugin.service.dispatch({ repo: f.repo(), workflowFile: 'd.yml', ref: 'main', sender: { id: 7, login: 'alice' } }).then(() => null, (e: unknown) => e as { kind?: string; message?: string });
    expect(err?.kind).to.equal('invalid_argument');
    expect(err?.message).to.match(/concurrency/);
    expect((await f.t.plugin.service.runs.list({ repoId: f.repo().id })).total_count).to.equal(0);
  });

  it('lets a push run without a group, as Forgejo does', async () => {
    const sha = f.host.commit(f.repo(), 'refs/heads/main', { '.forgejo/workflows/p.yml': `on: push\n${bad}` });
    const [run] = await f.t.plugin.hooks.push(pushPayload(f.repo(), 'refs/heads/main', sha));
    expect(run!.status).to.equal('waiting');
  });
});
