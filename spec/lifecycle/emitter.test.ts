import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { useForge } from '../support/forge.js';
import { pushPayload } from '../support/memory-host.js';
import { drain, runnerFor } from '../support/drive.js';
import { Result } from '../../lib/index.js';
import { aggregateStatus, Status } from '../../lib/status.js';

const S = Status;

describe('run status aggregation (Forgejo AggregateJobStatus)', () => {
  const table: Array<[number[], number]> = [
    [[], S.unknown],
    [[S.skipped, S.skipped], S.skipped],
    [[S.success, S.skipped], S.success],
    [[S.failure, S.cancelled], S.cancelled],
    [[S.failure, S.running], S.failure],
    [[S.failure, S.waiting], S.failure],
    [[S.unknown, S.failure], S.failure],
    [[S.success, S.blocked], S.blocked],
    [[S.running, S.waiting], S.running],
    [[S.unknown, S.success], S.unknown],
    [[S.unknown, S.skipped], S.unknown],
  ];
  for (const [jobs, want] of table) {
    it(`[${jobs.join(', ')}] → ${want}`, () => expect(aggregateStatus(jobs)).to.equal(want));
  }
});

forEachDatabase('the job emitter, driven by runner results', (kind) => {
  const f = useForge(kind);
  const repo = () => f.repo();

  async function push(files: Record<string, string>, message = 'change') {
    const sha = f.host.commit(repo(), 'refs/heads/main', files);
    return f.t.plugin.hooks.push(pushPayload(repo(), 'refs/heads/main', sha, message));
  }
  const jobsOf = async (runId: number) => (await f.t.plugin.service.runs.jobs(repo().id, runId)).items.map((j) => [j.name, j.status]);
  const runStatus = async (runId: number) => (await f.t.plugin.service.runs.get(repo().id, runId)).status;

  it('a failed need skips the whole chain in one pass; jobs with an `if` still run', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  job1: { runs-on: ubuntu, steps: [{ run: x }] }
  job2: { needs: job1, runs-on: ubuntu, steps: [{ run: x }] }
  job3: { needs: job2, runs-on: ubuntu, steps: [{ run: x }] }
  cleanup:
    needs: job1
    if: \${{ always() }}
    runs-on: ubuntu
    steps: [{ run: x }]
`,
    });
    const runner = await runnerFor(f.t);
    const ran = await drain(runner, (name) => ({ result: name === 'job1' ? Result.FAILURE : Result.SUCCESS }));
    expect(ran).to.deep.equal(['job1', 'cleanup']);
    expect(await jobsOf(run!.id)).to.deep.equal([
      ['job1', 'failure'],
      ['job2', 'skipped'],
      ['job3', 'skipped'],
      ['cleanup', 'success'],
    ]);
    expect(await runStatus(run!.id)).to.equal('failure');
  });

  it('a diamond of needs with matrix legs runs to success, and needs outputs of the legs are merged', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  a: { runs-on: ubuntu, steps: [{ run: x }] }
  b:
    needs: a
    runs-on: ubuntu
    strategy: { matrix: { n: [1, 2, 3] } }
    outputs: { out: x }
    steps: [{ run: x }]
  c: { needs: a, runs-on: ubuntu, steps: [{ run: x }] }
  d: { needs: [b, c], runs-on: ubuntu, steps: [{ run: x }] }
`,
    });
    const runner = await runnerFor(f.t);
    let dNeeds: unknown;
    await drain(runner, (name, task) => {
      if (name === 'd') dNeeds = task.needs.b;
      const leg = /^b \((\d)\)$/.exec(name)?.[1];
      return leg ? { outputs: { output_1: leg === '1' ? '1' : '', output_2: leg === '2' ? '2' : '', output_3: leg === '3' ? '3' : '' } } : {};
    });
    expect(await runStatus(run!.id)).to.equal('success');
    expect((dNeeds as { outputs: Record<string, string>; result: number }).outputs).to.deep.equal({ output_1: '1', output_2: '2', output_3: '3' });
    expect((dNeeds as { result: number }).result).to.equal(Result.SUCCESS);
  });

  it('a dynamic matrix expands into waiting jobs once its need succeeds; the placeholder disappears', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  define-matrix:
    runs-on: ubuntu
    outputs: { colors: x }
    steps: [{ run: x }]
  produce-artifacts:
    needs: define-matrix
    runs-on: ubuntu
    strategy:
      matrix:
        color: \${{ fromJSON(needs.define-matrix.outputs.colors) }}
    steps: [{ run: x }]
`,
    });
    expect(await jobsOf(run!.id)).to.deep.equal([
      ['define-matrix', 'waiting'],
      ['produce-artifacts (incomplete matrix)', 'blocked'],
    ]);
    const runner = await runnerFor(f.t);
    const { tasks } = await runner.fetchTask();
    await runner.runTask(tasks[0]!, { outputs: { colors: '["red", "blue", "green"]' } });
    expect(await jobsOf(run!.id)).to.deep.equal([
      ['define-matrix', 'success'],
      ['produce-artifacts (blue)', 'waiting'],
      ['produce-artifacts (green)', 'waiting'],
      ['produce-artifacts (red)', 'waiting'],
    ]);
    await drain(runner);
    expect(await runStatus(run!.id)).to.equal('success');
  });

  it('an empty dynamic matrix completes the run, and the run-done event fires exactly once', async () => {
    const done: unknown[] = [];
    f.t.plugin.events.on('run', (e: { done?: boolean }) => e.done && done.push(e));
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  job1: { runs-on: ubuntu, outputs: { empty-list: x }, steps: [{ run: x }] }
  job2:
    needs: job1
    runs-on: ubuntu
    strategy: { matrix: { v: "\${{ fromJSON(needs.job1.outputs.empty-list) }}" } }
    steps: [{ run: x }]
`,
    });
    const runner = await runnerFor(f.t);
    await drain(runner, () => ({ outputs: { 'empty-list': '[]' } }));
    expect(await jobsOf(run!.id)).to.deep.equal([['job1', 'success']]);
    expect(await runStatus(run!.id)).to.equal('success');
    expect(done).to.have.length(1);
  });

  it('runs-on computed from needs outputs reaches only runners with those labels', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  define-runs-on: { runs-on: ubuntu, outputs: { run-on-this: x }, steps: [{ run: x }] }
  consume:
    needs: define-runs-on
    runs-on: \${{ needs.define-runs-on.outputs.run-on-this }}
    steps: [{ run: x }]
`,
    });
    const ubuntu = await runnerFor(f.t);
    await drain(ubuntu, () => ({ outputs: { 'run-on-this': 'nixos-25.11' } }));
    const jobs = (await f.t.plugin.service.runs.jobs(repo().id, run!.id)).items;
    expect(jobs.map((j) => [j.name, j.status, j.runs_on])).to.deep.equal([
      ['define-runs-on', 'success', ['ubuntu']],
      ['consume', 'waiting', ['nixos-25.11']],
    ]);
    const nixos = await runnerFor(f.t, ['nixos-25.11']);
    expect(await drain(nixos)).to.deep.equal(['consume']);
    expect(await runStatus(run!.id)).to.equal('success');
  });

  it('a dynamic part that can never be evaluated fails the run with the exact pre-execution error', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  define-matrix-1: { runs-on: ubuntu, outputs: { colors: x }, steps: [{ run: x }] }
  produce-artifacts:
    needs: define-matrix-1
    runs-on: ubuntu
    strategy: { matrix: { color: "\${{ fromJSON(needs.define-matrix-1.outputs.colours-intentional-mistake) }}" } }
    steps: [{ run: x }]
`,
    });
    await drain(await runnerFor(f.t), () => ({ outputs: { colors: '["red"]' } }));
    const failed = await f.t.plugin.service.runs.get(repo().id, run!.id);
    expect(failed.status).to.equal('failure');
    expect(failed.pre_execution_error).to.equal('Unable to evaluate `strategy.matrix` of job produce-artifacts: job define-matrix-1 is missing output colours-intentional-mistake.');
    const jobs = await jobsOf(run!.id);
    expect(jobs).to.deep.equal([
      ['define-matrix-1', 'success'],
      ['produce-artifacts (incomplete matrix)', 'failure'],
    ]);
  });

  it('queue-behind: a second run of the group waits until the first finishes', async () => {
    const wf = `on: push
concurrency: { group: deploy, cancel-in-progress: false }
jobs:
  deploy: { runs-on: ubuntu, steps: [{ run: x }] }
`;
    const [first] = await push({ '.forgejo/workflows/d.yml': wf }, 'one');
    const [second] = await push({ '.forgejo/workflows/d.yml': wf + '\n' }, 'two');
    const runner = await runnerFor(f.t);
    const got = await runner.fetchTask({ capacity: 4 });
    expect(got.tasks).to.have.length(1);
    const secondJob = (await f.t.plugin.service.runs.jobs(repo().id, second!.id)).items[0]!;
    expect(secondJob.status).to.equal('waiting');
    expect(secondJob.waiting_reason).to.equal('queued behind concurrency group deploy');
    await runner.runTask(got.tasks[0]!);
    expect(await drain(runner)).to.deep.equal(['deploy']);
    expect(await runStatus(first!.id)).to.equal('success');
    expect(await runStatus(second!.id)).to.equal('success');
  });

  it('reusable workflows: the caller completes from its inner jobs and passes their outputs on', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  call:
    uses: ./.forgejo/workflows/reusable.yml
    with: { greeting: hi }
  after:
    needs: call
    runs-on: ubuntu
    steps: [{ run: x }]
`,
      '.forgejo/workflows/reusable.yml': `on:
  workflow_call:
    inputs:
      greeting: { type: string, required: true }
    outputs:
      said:
        value: \${{ jobs.inner.outputs.said }}
jobs:
  inner:
    runs-on: ubuntu
    outputs: { said: x }
    steps:
      - run: echo \${{ inputs.greeting }}
`,
    });
    const runner = await runnerFor(f.t);
    let afterNeeds: unknown;
    const ran = await drain(runner, (name, task) => {
      if (name === 'after') afterNeeds = task.needs.call;
      return name === 'inner' ? { outputs: { said: 'hello' } } : {};
    });
    expect(ran).to.deep.equal(['inner', 'after']);
    const jobs = (await f.t.plugin.service.runs.jobs(repo().id, run!.id)).items;
    expect(jobs.map((j) => [j.job_id, j.status])).to.deep.include.members([
      ['call', 'success'],
      ['call.inner', 'success'],
      ['after', 'success'],
    ]);
    expect(jobs.find((j) => j.job_id === 'call')!.attempt).to.equal(1);
    expect((afterNeeds as { outputs: Record<string, string> }).outputs).to.deep.equal({ said: 'hello' });
    expect(await runStatus(run!.id)).to.equal('success');
  });

  it('rerunning one job reruns it and everything downstream; the attempt grows when a runner takes it', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  job1: { runs-on: ubuntu, steps: [{ run: x }] }
  job2: { needs: job1, runs-on: ubuntu, steps: [{ run: x }] }
  job3: { needs: job2, runs-on: ubuntu, steps: [{ run: x }] }
  job4: { needs: [job2, job3], runs-on: ubuntu, steps: [{ run: x }] }
  other: { runs-on: ubuntu, steps: [{ run: x }] }
`,
    });
    const runner = await runnerFor(f.t);
    await drain(runner);
    expect(await runStatus(run!.id)).to.equal('success');
    const jobs = (await f.t.plugin.service.runs.jobs(repo().id, run!.id)).items;
    const job2 = jobs.find((j) => j.job_id === 'job2')!;
    await f.t.plugin.service.runs.rerunJob(repo().id, job2.id);
    expect(await jobsOf(run!.id)).to.deep.equal([
      ['job1', 'success'],
      ['job2', 'waiting'],
      ['job3', 'blocked'],
      ['job4', 'blocked'],
      ['other', 'success'],
    ]);
    expect(await drain(runner)).to.deep.equal(['job2', 'job3', 'job4']);
    const after = (await f.t.plugin.service.runs.jobs(repo().id, run!.id)).items;
    expect(after.map((j) => [j.job_id, j.attempt])).to.deep.equal([
      ['job1', 1],
      ['job2', 2],
      ['job3', 2],
      ['job4', 2],
      ['other', 1],
    ]);
    expect(await runStatus(run!.id)).to.equal('success');
  });

  it('cyclic needs fail the run at creation instead of staying blocked until the 24 h sweep (Forgejo keeps them blocked)', async () => {
    const [run] = await push({
      '.forgejo/workflows/ci.yml': `on: push
jobs:
  a: { needs: c, runs-on: ubuntu, steps: [{ run: x }] }
  b: { needs: a, runs-on: ubuntu, steps: [{ run: x }] }
  c: { needs: b, runs-on: ubuntu, steps: [{ run: x }] }
`,
    });
    expect(run!.status).to.equal('failure');
  });
});
