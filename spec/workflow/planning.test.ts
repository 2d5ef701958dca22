// planJobs / payloads / re-planning, concurrency, schedules, job-level if.
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  planJobs, serializePayload, evaluateWorkflowConcurrency, scheduleSpecsOf, validateCron, evaluateJobIf, WorkflowError,
} from '../../lib/workflow/index.js';

const workflow = `name: ci
on: push
concurrency:
  group: CI-\${{ github.ref }}
jobs:
  define:
    runs-on: docker
    outputs:
      list: \${{ steps.x.outputs.list }}
    steps:
      - id: x
        run: echo
  build:
    name: build
    needs: define
    runs-on: [self-hosted, "\${{ matrix.os }}"]
    strategy:
      matrix:
        os: [a, b]
    steps:
      - run: make
  test:
    name: build
    needs: [define, build]
    if: always()
    runs-on: { group: pool, labels: [linux, x64] }
    concurrency:
      group: T-\${{ matrix.shard }}
      cancel-in-progress: true
    strategy:
      matrix:
        shard: \${{ fromJSON(needs.define.outputs.list) }}
    steps:
      - run: test
`;

describe('planJobs and payloads', () => {
  it('describes each job, de-duplicates names and keeps incomplete jobs', async () => {
    const jobs = await planJobs(workflow, { jobOutputs: {}, supportIncompleteRunsOn: true });
    expect(jobs.map((j) => [j.jobId, j.name, j.needs, j.runsOn, j.incompleteMatrix])).to.deep.equal([
      ['define', 'define', [], ['docker'], false],
      ['build', 'build', ['define'], ['self-hosted', 'a'], false],
      ['build', 'build-1', ['define'], ['self-hosted', 'b'], false],
      ['test', 'build (incomplete matrix)', ['define', 'build'], ['linux', 'x64', 'pool'], true],
    ]);
    expect(jobs[3]?.if).to.equal('always()');
    const payload = parse(jobs[1]?.payload ?? '') as Record<string, unknown>;
    expect(payload['jobs']).to.have.key('build');
    expect((payload['jobs'] as Record<string, Record<string, unknown>>)['build']).to.not.have.key('needs');
    expect(jobs[1]?.payload).to.match(/^"on": push$/m);
  });

  it('re-plans an incomplete job from its stored payload once outputs exist', async () => {
    const jobs = await planJobs(workflow, { jobOutputs: {}, supportIncompleteRunsOn: true });
    const blocked = jobs[3];
    if (!blocked) throw new Error('no incomplete job');
    // the options lib/replan.ts plans a blocked job with
    const again = await planJobs(blocked.payload, {
      jobOutputs: { define: { list: '["1","2"]' }, build: {} }, workflowNeeds: blocked.needs, supportIncompleteRunsOn: true, dedupeNames: false,
    });
    expect(again.map((j) => [j.jobId, j.name, j.incompleteMatrix, j.concurrency])).to.deep.equal([
      ['test', 'build (1)', false, { group: 't-1', cancelInProgress: true }],
      ['test', 'build (2)', false, { group: 't-2', cancelInProgress: true }],
    ]);
  });

  it('marks reusable callers', async () => {
    const jobs = await planJobs('jobs:\n  call:\n    uses: ./.forgejo/workflows/r.yml\n', {
      expandReusable: ['local'], fetchReusable: async () => 'on: workflow_call\njobs:\n  inner:\n    runs-on: x\n',
    });
    expect(jobs.map((j) => [j.jobId, j.isCaller, j.runsOn, j.needs])).to.deep.equal([
      ['call', true, [], ['call.inner']], ['call.inner', false, ['x'], []],
    ]);
  });

  it('fetches a reusable workflow once for every combination of a matrix caller', async () => {
    let fetches = 0;
    const callee = 'on:\n  workflow_call:\n    inputs:\n      n:\n        type: number\njobs:\n  inner:\n    runs-on: x${{ inputs.n }}\n';
    const caller = 'jobs:\n  call:\n    strategy:\n      matrix:\n        n: [1, 2, 3]\n    uses: ./.forgejo/workflows/r.yml\n    with:\n      n: ${{ matrix.n }}\n';
    const jobs = await planJobs(caller, { expandReusable: ['local'], fetchReusable: async () => { fetches++; return callee; } });
    expect(fetches).to.equal(1);
    expect(jobs.filter((j) => !j.isCaller).map((j) => [j.jobId, j.runsOn])).to.deep.equal([
      ['call.inner', ['x1']], ['call.inner', ['x2']], ['call.inner', ['x3']],
    ]);
  });

  it('serialises with needs erased unless asked', () => {
    const doc = { on: ['push'], jobs: { a: { name: 'a', needs: ['b'], 'runs-on': 'x' } } };
    expect(serializePayload(doc)).to.equal('"on":\n  - push\njobs:\n  a:\n    name: a\n    runs-on: x\n');
    expect(serializePayload(doc, { keepNeeds: true })).to.contain('needs:');
  });
});

describe('workflow concurrency', () => {
  const github = { ref: 'refs/heads/Main' };
  it('string group: lower-cased; push cancels by default', () => {
    expect(evaluateWorkflowConcurrency(workflow, { github, event: 'push' })).to.deep.equal({ group: 'ci-refs/heads/main', cancelInProgress: true, type: 'cancel-in-progress' });
    expect(evaluateWorkflowConcurrency(workflow, { github, event: 'issues' })).to.deep.equal({ group: 'ci-refs/heads/main', cancelInProgress: false, type: 'unlimited' });
  });
  it('cancel-in-progress false with a group queues', () => {
    const wf = 'on: push\nconcurrency:\n  group: g-${{ inputs.x }}\n  cancel-in-progress: false\njobs: {}\n';
    expect(evaluateWorkflowConcurrency(wf, { inputs: { x: 'Y' }, event: 'push' })).to.deep.equal({ group: 'g-y', cancelInProgress: false, type: 'queue-behind' });
  });
  it('no concurrency: the automatic group', () => {
    expect(evaluateWorkflowConcurrency('on: push\njobs: {}\n', { event: 'pull_request_sync', ref: 'refs/pull/3/head', workflowId: 'Test.yml', triggerEvent: 'pull_request' }))
      .to.deep.equal({ group: 'refs/pull/3/head_test.yml_pull_request__auto', cancelInProgress: true, type: 'cancel-in-progress' });
    expect(evaluateWorkflowConcurrency('on: push\njobs: {}\n')).to.equal(null);
  });
  it('run_number is "0" and vars are available', () => {
    const wf = 'on: push\nconcurrency: ${{ vars.P }}-${{ github.run_number }}\njobs: {}\n';
    expect(evaluateWorkflowConcurrency(wf, { vars: { P: 'x' }, event: 'push' })?.group).to.equal('x-0');
  });
  it('an evaluation error is a WorkflowError', () => {
    expect(() => evaluateWorkflowConcurrency("on: push\nconcurrency: ${{ fromJSON('{') }}\njobs: {}\n", { event: 'push' })).to.throw(WorkflowError, /concurrency/);
  });
});

describe('schedules', () => {
  it('reads cron entries with optional timezone', () => {
    const wf = 'on:\n  schedule:\n    - cron: "0 3 * * *"\n    - cron: "*/5 * * * 1-5"\n      timezone: Europe/Berlin\n    - Cron: "1 1 * * *"\njobs: {}\n';
    expect(scheduleSpecsOf(wf)).to.deep.equal([{ cron: '0 3 * * *' }, { cron: '*/5 * * * 1-5', timezone: 'Europe/Berlin' }]);
  });
  it('an invalid on: is an error', () => expect(() => scheduleSpecsOf('on:\n  schedule: "0 * * * *"\n')).to.throw(WorkflowError, /schedule/));
  const table: [string, boolean][] = [
    ['0 0 13 * 5', true], ['*/15 9-17 * JAN-MAR MON-FRI', true], ['0 0 ? * *', true], ['@daily', true], ['@every 1h30m', true],
    ['TZ=America/New_York 0 10 * * *', true], ['CRON_TZ=Asia/Tokyo @hourly', true],
    ['* * * * * *', false], ['* * *', false], ['61 * * * *', false], ['@fortnightly', false], ['TZ=Mars/Base 0 10 * * *', false], ['@every soon', false],
  ];
  for (const [spec, ok] of table) it(`${spec} is ${ok ? 'valid' : 'invalid'}`, () => expect(validateCron(spec).ok).to.equal(ok));
});

describe('job-level if', () => {
  const ok = { a: { result: 'success', outputs: { v: 'yes' } } };
  const failed = { a: { result: 'failure' } };
  it('empty if is success()', () => {
    expect(evaluateJobIf('', { needs: ok })).to.equal(true);
    expect(evaluateJobIf(undefined, { needs: failed })).to.equal(false);
  });
  it('a condition without a status function gets an implicit success()', () => {
    expect(evaluateJobIf("needs.a.outputs.v == 'yes'", { needs: ok })).to.equal(true);
    expect(evaluateJobIf("needs.a.result == 'failure'", { needs: failed })).to.equal(false);
  });
  it('always(), failure(), cancelled()', () => {
    expect(evaluateJobIf('always()', { needs: failed })).to.equal(true);
    expect(evaluateJobIf('${{ failure() }}', { needs: failed })).to.equal(true);
    expect(evaluateJobIf('failure()', { needs: ok })).to.equal(false);
    expect(evaluateJobIf('cancelled()', { needs: ok, status: 'cancelled' })).to.equal(true);
    expect(evaluateJobIf('success()', { needs: { a: { result: 'skipped' } } })).to.equal(false);
  });
  it('a syntax error is a WorkflowError', () => expect(() => evaluateJobIf('a ==', {})).to.throw(WorkflowError));
});

describe('OIDC opt-in through permissions', () => {
  it('marks jobs with `permissions: id-token: write` (job level over workflow level) like enable-openid-connect', async () => {
    const { planWorkflow } = await import('../../lib/workflow/index.js');
    const docs = await planWorkflow(`
on: push
permissions:
  id-token: write
jobs:
  a:
    runs-on: u
    steps: [{ run: x }]
  b:
    runs-on: u
    permissions:
      contents: read
    steps: [{ run: x }]
`);
    expect(docs.map((d) => d['enable-openid-connect'] === true)).to.deep.equal([true, false]);
  });
});

describe('step fields the runner decodes strictly', () => {
  it('writes continue-on-error as a boolean (forgejo-runner refuses the string "true"), drops false, keeps expressions', async () => {
    const { planWorkflow } = await import('../../lib/workflow/index.js');
    const [doc] = await planWorkflow(`
on: push
jobs:
  a:
    runs-on: u
    steps:
      - run: one
        continue-on-error: true
      - run: two
        continue-on-error: "true"
      - run: three
        continue-on-error: false
      - run: four
        continue-on-error: \${{ inputs.lenient }}
`);
    const steps = ((doc!.jobs as Record<string, { steps: Array<Record<string, unknown>> }>).a!.steps).map((s) => s['continue-on-error']);
    expect(steps).to.deep.equal([true, true, undefined, '${{ inputs.lenient }}']);
  });
});
