import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { useForge } from '../support/forge.js';
import { pushPayload } from '../support/memory-host.js';
import { drain, runnerFor } from '../support/drive.js';
import { Result } from '../../lib/index.js';

forEachDatabase('concurrency and pull-request races', (kind) => {
  const f = useForge(kind, [['alice/app', 1], ['alice/other', 2]]);
  const repo = () => f.repo();

  const status = async (repoId: number, runId: number) => (await f.t.plugin.service.runs.get(repoId, runId)).status;

  it('cancel-in-progress matches groups case-insensitively, in the same repository only, and cancels a failed run whose job still runs', async () => {
    const wf = (group: string, failing = false) => `on: push
concurrency: { group: ${group}, cancel-in-progress: true }
jobs:
  a: { runs-on: ubuntu, steps: [{ run: x }] }
${failing ? '  b: { runs-on: ubuntu, steps: [{ run: x }] }\n' : ''}`;
    const pushTo = async (r: ReturnType<typeof repo>, ref: string, content: string) => {
      const sha = f.host.commit(r, ref, { '.forgejo/workflows/c.yml': content });
      return (await f.t.plugin.hooks.push(pushPayload(r, ref, sha)))[0]!;
    };
    // run 1: one job fails, the other is still running: the run is "failure" with a live job
    const first = await pushTo(repo(), 'refs/heads/one', wf('abc123', true));
    const runner = await runnerFor(f.t);
    const { tasks } = await runner.fetchTask({ capacity: 2 });
    expect(tasks).to.have.length(2);
    await runner.runTask(tasks[0]!, { result: Result.FAILURE });
    expect(await status(repo().id, first.id)).to.equal('failure');
    // other repository, same group: untouched; another group: untouched
    const elsewhere = await pushTo(f.host.repos.get('alice/other')!, 'refs/heads/x', wf('abc123'));
    const otherGroup = await pushTo(repo(), 'refs/heads/two', wf('something-else'));
    // the new run in ABC123 cancels run 1's live job
    const latest = await pushTo(repo(), 'refs/heads/three', wf('ABC123'));
    const jobs = (await f.t.plugin.service.runs.jobs(repo().id, first.id)).items.map((j) => j.status).sort();
    expect(jobs).to.deep.equal(['cancelled', 'failure']);
    expect(await status(repo().id, first.id)).to.equal('cancelled');
    expect(await status(2, elsewhere.id)).to.equal('waiting');
    expect(await status(repo().id, otherGroup.id)).to.equal('waiting');
    expect(await status(repo().id, latest.id)).to.equal('waiting');
    // the runner learns it on its next report
    const rep = runner.reporter(tasks[1]!);
    await rep.sendState();
    expect(rep.cancelled).to.equal(true);
  });

  it('a run superseded by cancel-in-progress gets its commit statuses updated to cancelled', async () => {
    const wf = 'on: push\nconcurrency: { group: ci, cancel-in-progress: true }\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';
    const first = f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/c.yml': wf });
    await f.t.plugin.hooks.push(pushPayload(repo(), 'refs/heads/main', first));
    const second = f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/c.yml': wf + '\n' });
    await f.t.plugin.hooks.push(pushPayload(repo(), 'refs/heads/main', second));
    const last = (sha: string) => f.host.statuses.filter((s) => s.sha === sha).map((s) => `${s.state}|${s.description}`).pop();
    expect(last(first)).to.equal('failure|Has been cancelled');
    expect(last(second)).to.equal('pending|Waiting to run');
  });

  it('a workflow_dispatch run is not cancelled by the next one without a concurrency block; with cancel-in-progress it is', async () => {
    const plain = 'on: workflow_dispatch\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';
    const cancelling = 'on: workflow_dispatch\nconcurrency: { group: deploy, cancel-in-progress: true }\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';
    f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/p.yml': plain, '.forgejo/workflows/c.yml': cancelling });
    const sender = { id: 7, login: 'alice' };
    const p1 = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'p.yml', ref: 'main', sender });
    const p2 = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'p.yml', ref: 'main', sender });
    expect([await status(repo().id, p1.id), await status(repo().id, p2.id)]).to.deep.equal(['waiting', 'waiting']);
    const c1 = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'c.yml', ref: 'main', sender });
    const c2 = await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'c.yml', ref: 'main', sender });
    expect([await status(repo().id, c1.id), await status(repo().id, c2.id)]).to.deep.equal(['cancelled', 'waiting']);
  });

  it('a pull_request synchronize racing opened on the same commit is dropped; another commit is not', async () => {
    const wf = 'on: pull_request\njobs:\n  t: { runs-on: ubuntu, steps: [{ run: x }] }\n';
    const x = f.host.commit(repo(), 'refs/pull/9/head', { '.forgejo/workflows/pr.yml': wf });
    f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/pr.yml': wf });
    const pr = (action: string, sha: string) => ({
      action,
      number: 9,
      pull_request: { number: 9, title: 'same repo', user: { id: 7, login: 'alice' }, head: { ref: 'f', sha, repo: { id: 1 } }, base: { ref: 'main', repo: { id: 1 } } },
      repository: repo(),
      sender: { id: 7, login: 'alice' },
    });
    expect(await f.t.plugin.hooks.pullRequest(pr('opened', x))).to.have.length(1);
    expect(await f.t.plugin.hooks.pullRequest(pr('synchronize', x))).to.have.length(0);
    const y = f.host.commit(repo(), 'refs/pull/9/head', { '.forgejo/workflows/pr.yml': wf + '\n' });
    const [synced] = await f.t.plugin.hooks.pullRequest(pr('synchronize', y));
    expect(synced).to.include({ event: 'pull_request_sync' });
  });

  it('queue-behind: a running member of the group blocks even older waiting runs; finished newer runs do not', async () => {
    const wf = 'on: workflow_dispatch\nconcurrency: { group: abc, cancel-in-progress: false }\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';
    f.host.commit(repo(), 'refs/heads/main', { '.forgejo/workflows/q.yml': wf });
    const sender = { id: 7, login: 'alice' };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await f.t.plugin.service.dispatch({ repo: repo(), workflowFile: 'q.yml', ref: 'main', sender }));
    const runner = await runnerFor(f.t);
    const ran = await drain(runner);
    // one at a time, oldest first
    expect(ran).to.deep.equal(['a', 'a', 'a']);
    for (const r of runs) expect(await status(repo().id, r.id)).to.equal('success');
  });
});
