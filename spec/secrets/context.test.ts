import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { buildTaskPayload } from '../../lib/task-payload.js';
import { setSecret } from '../../lib/secrets.js';
import { createVariable } from '../../lib/variables.js';
import { forEachDatabase } from '../support/databases.js';
import { fixture, insertJob, insertRun, insertTask, openDeps, OWNER_ID, pullRequestEvent, pushEvent, PUBLIC_URL, REPO_ID, singleJobDoc, type TestDeps } from './helpers.js';

const SHA = 'c2d72f548424103f01ee1dc02889c1e2bff816b0';

/** every key of runner-protocol §4.7 (1, 2, 3) plus the forgejo_* spellings later runners read */
const CONTEXT_KEYS = [
  'event', 'event_path', 'workflow', 'run_id', 'run_number', 'run_attempt', 'actor', 'repository', 'event_name', 'sha', 'ref',
  'ref_name', 'ref_type', 'head_ref', 'base_ref', 'token', 'workspace', 'action', 'action_path', 'action_ref', 'action_repository',
  'job', 'job_name', 'runner_perflog', 'runner_tracking_id', 'graphql_url', 'repository_owner', 'retention_days', 'server_url',
  'api_url', 'workflow_ref', 'action_status', 'env', 'path', 'ref_protected', 'repositoryUrl', 'secret_source', 'triggering_actor',
  'gitea_default_actions_url', 'forgejo_default_actions_url', 'forgejo_server_version', 'gitea_runtime_token', 'forgejo_runtime_token',
];
const EMPTY_KEYS = [
  'event_path', 'workspace', 'action', 'action_path', 'action_ref', 'action_repository', 'job_name', 'runner_perflog',
  'runner_tracking_id', 'graphql_url', 'retention_days', 'action_status', 'env', 'path', 'triggering_actor',
];

forEachDatabase('task context', (kind) => {
  let deps: TestDeps;
  before(async () => {
    deps = await openDeps(kind, { secretKey: 'a test master key of some length' });
  });
  after(async () => deps.close());

  it('of a push task: every key of the spec, with the spec types', async () => {
    const f = await fixture(deps, { runNumber: 188 }, { attempt: 1 });
    const { context } = await buildTaskPayload(deps.knex, deps, f);
    expect(Object.keys(context).sort()).to.deep.equal([...CONTEXT_KEYS].sort());
    for (const key of EMPTY_KEYS) expect(context[key], key).to.equal('');
    expect(context).to.deep.include({
      event: pushEvent(),
      workflow: 'artifact.yaml',
      run_id: String(f.run.id),
      run_number: '188',
      run_attempt: '1',
      actor: 'user1',
      repository: 'user5/repo4',
      event_name: 'push',
      sha: SHA,
      ref: 'refs/heads/main',
      ref_name: 'main',
      ref_type: 'branch',
      head_ref: '',
      base_ref: '',
      token: f.token,
      job: 'build',
      repository_owner: 'user5',
      server_url: PUBLIC_URL,
      api_url: `${PUBLIC_URL}api/v1`,
      workflow_ref: 'user5/repo4/.forgejo/workflows/artifact.yaml@refs/heads/main',
      ref_protected: false,
      repositoryUrl: `${PUBLIC_URL}user5/repo4`,
      secret_source: 'Actions',
      gitea_default_actions_url: 'https://data.forgejo.org',
      forgejo_default_actions_url: 'https://data.forgejo.org',
      forgejo_server_version: '11.0.0+test',
    });
    expect(context.server_url).to.match(/\/$/);
    expect(context.run_id).not.to.equal(context.run_number); // the database id, not the per-repo number
    expect(context.token).to.match(/^[0-9a-f]{40}$/);
    expect(context.gitea_runtime_token).to.equal(context.forgejo_runtime_token);
    // without opt-in there is no id-token request
    expect(context).not.to.have.property('forgejo_actions_id_token_request_url');
  });

  it('of a pull-request task: PR refs from the payload; pull_request_target runs on the base', async () => {
    const pr = await fixture(deps, { event: 'pull_request', payload: pullRequestEvent(false), ref: 'refs/pull/1/merge', sha: 'merge789sha' });
    const { context } = await buildTaskPayload(deps.knex, deps, pr);
    expect(Object.keys(context).sort()).to.deep.equal([...CONTEXT_KEYS].sort());
    expect(context).to.deep.include({
      event_name: 'pull_request',
      base_ref: 'main',
      head_ref: 'feature-branch',
      ref: 'refs/pull/1/merge',
      ref_name: '1',
      ref_type: '',
      sha: 'merge789sha',
      workflow_ref: 'user5/repo4/.forgejo/workflows/artifact.yaml@refs/pull/1/merge',
      event: pullRequestEvent(false),
    });
    const prt = await fixture(deps, { event: 'pull_request', triggerEvent: 'pull_request_target', payload: pullRequestEvent(true), ref: 'refs/pull/1/head', sha: 'head456sha', fork: true });
    const t = (await buildTaskPayload(deps.knex, deps, prt)).context;
    expect(t).to.deep.include({
      event_name: 'pull_request_target',
      base_ref: 'main',
      head_ref: 'feature-branch',
      ref: 'refs/heads/main',
      ref_name: 'main',
      ref_type: 'branch',
      sha: 'base123sha',
      workflow_ref: 'user5/repo4/.forgejo/workflows/artifact.yaml@refs/heads/main',
    });
  });

  it('of a schedule run (bare branch ref) has an empty ref_type; DEFAULT_ACTIONS_URL shorthands resolve', async () => {
    const f = await fixture(deps, { event: 'schedule', ref: 'main' });
    const saved = deps.config.defaultActionsUrl;
    try {
      deps.config.defaultActionsUrl = 'self';
      const { context } = await buildTaskPayload(deps.knex, deps, f);
      expect(context).to.include({ ref: 'main', ref_name: 'main', ref_type: '', gitea_default_actions_url: 'https://forge.example' });
      deps.config.defaultActionsUrl = 'github';
      expect((await buildTaskPayload(deps.knex, deps, f)).context.gitea_default_actions_url).to.equal('https://github.com');
    } finally {
      deps.config.defaultActionsUrl = saved;
    }
  });

  it('carries the runtime token with the spec claims; OIDC fields only when the job opts in and is not a fork PR', async () => {
    const plain = await fixture(deps);
    const c1 = (await buildTaskPayload(deps.knex, deps, plain)).context;
    const claims = decodeJwt(String(c1.gitea_runtime_token));
    const now = Math.floor(deps.clock.now().getTime() / 1000);
    expect(claims).to.include({ scp: `Actions.Results:${plain.run.id}:${plain.job.id}`, TaskID: plain.taskId, RunID: plain.run.id, JobID: plain.job.id, nbf: now, exp: now + 86400 });
    expect(JSON.parse(String(claims.ac))).to.deep.equal([{ Scope: '', Permission: 2 }]);
    expect(claims).not.to.have.any.keys('oidc_sub', 'oidc_extra', 'iat', 'iss', 'sub', 'aud');

    const cases: Array<[string, Parameters<typeof fixture>[1], Record<string, unknown>, boolean]> = [
      ['workflow-level enable-openid-connect', {}, singleJobDoc('build', {}, { 'enable-openid-connect': true }), true],
      ['job-level enable-openid-connect', {}, singleJobDoc('build', { 'enable-openid-connect': true }), true],
      ['job-level false over workflow-level true', {}, singleJobDoc('build', { 'enable-openid-connect': false }, { 'enable-openid-connect': true }), false],
      ['permissions id-token: write', {}, singleJobDoc('build', { permissions: { 'id-token': 'write', contents: 'read' } }), true],
      ['workflow permissions write-all', {}, singleJobDoc('build', {}, { permissions: 'write-all' }), true],
      ['job permissions replace the workflow ones', {}, singleJobDoc('build', { permissions: { contents: 'read' } }, { permissions: { 'id-token': 'write' } }), false],
      ['fork pull_request', { event: 'pull_request', payload: pullRequestEvent(true), fork: true }, singleJobDoc('build', {}, { 'enable-openid-connect': true }), false],
      ['fork pull_request_target', { event: 'pull_request', triggerEvent: 'pull_request_target', payload: pullRequestEvent(true), fork: true }, singleJobDoc('build', {}, { 'enable-openid-connect': true }), true],
    ];
    for (const [name, run, doc, enabled] of cases) {
      const f = await fixture(deps, run, { doc });
      const { context } = await buildTaskPayload(deps.knex, deps, f);
      const jwt = decodeJwt(String(context.gitea_runtime_token));
      expect(context.gitea_runtime_token, name).to.be.a('string').that.is.not.empty;
      if (!enabled) {
        expect(context, name).not.to.have.any.keys('forgejo_actions_id_token_request_url', 'forgejo_actions_id_token_request_token');
        expect(String(jwt.scp), name).not.to.include('generate_id_token');
        continue;
      }
      expect(context.forgejo_actions_id_token_request_token, name).to.equal(context.gitea_runtime_token);
      expect(context.forgejo_actions_id_token_request_url, name).to.equal(
        `https://forge.example/actions/api/actions/_apis/pipelines/workflows/${f.run.id}/idtoken?placeholder=true`,
      );
      expect(jwt.scp, name).to.equal(`Actions.Results:${f.run.id}:${f.job.id} generate_id_token:${f.run.id}:${f.job.id}`);
      const extra = JSON.parse(String(jwt.oidc_extra)) as Record<string, string>;
      expect(Object.keys(extra), name).to.deep.equal([
        'actor', 'base_ref', 'event_name', 'head_ref', 'ref', 'ref_protected', 'ref_type', 'repository', 'repository_owner',
        'run_attempt', 'run_id', 'run_number', 'sha', 'workflow', 'workflow_ref',
      ]);
      expect(extra.ref_protected).to.equal('false');
      expect(extra.run_id).to.equal(String(f.run.id));
      expect(jwt.oidc_sub, name).to.equal('repo:user5/repo4:ref:refs/heads/main');
    }
    // a same-repo pull_request gets the pull_request subject
    const pr = await fixture(deps, { event: 'pull_request', payload: pullRequestEvent(false), ref: 'refs/pull/1/head' }, { doc: singleJobDoc('build', { 'enable-openid-connect': true }) });
    expect(decodeJwt(String((await buildTaskPayload(deps.knex, deps, pr)).context.gitea_runtime_token)).oidc_sub).to.equal('repo:user5/repo4:pull_request');
  });

  it('re-issued with a new token (request-key replay): only the tokens change', async () => {
    await setSecret(deps, { repoId: REPO_ID }, 'replay_secret', 'same');
    const f = await fixture(deps, {}, { doc: singleJobDoc('build', {}, { 'enable-openid-connect': true }) });
    const first = await buildTaskPayload(deps.knex, deps, f);
    const second = await buildTaskPayload(deps.knex, deps, { ...f, token: 'f'.repeat(40) });
    const tokenKeys = ['token', 'gitea_runtime_token', 'forgejo_runtime_token', 'forgejo_actions_id_token_request_token'];
    for (const key of tokenKeys) {
      expect(second.context[key], key).not.to.equal(first.context[key]);
      expect(String(second.context[key]).length, key).to.equal(String(first.context[key]).length);
    }
    const strip = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
    expect(strip(second.context, tokenKeys)).to.deep.equal(strip(first.context, tokenKeys));
    const autoTokens = ['GITHUB_TOKEN', 'GITEA_TOKEN', 'FORGEJO_TOKEN'];
    expect(strip(second.secrets, autoTokens)).to.deep.equal(strip(first.secrets, autoTokens));
    for (const key of autoTokens) expect(second.secrets[key]).to.equal('f'.repeat(40));
    expect(second.vars).to.deep.equal(first.vars);
  });
});

forEachDatabase('task secrets', (kind) => {
  let deps: TestDeps;
  before(async () => {
    deps = await openDeps(kind, { secretKey: 'a test master key of some length' });
    await setSecret(deps, { ownerId: OWNER_ID }, 'secret_1', 'the sky is blue');
    await setSecret(deps, { repoId: REPO_ID }, 'secret_2', 'the ocean is also blue');
    // FORGEJO alone is a valid name: only the FORGEJO_ prefix is reserved
    await setSecret(deps, { repoId: REPO_ID }, 'FORGEJO', 'not a token');
    await createVariable(deps, { repoId: REPO_ID }, 'repo_var', 'this is a repo variable');
  });
  after(async () => deps.close());

  const both = { SECRET_1: 'the sky is blue', SECRET_2: 'the ocean is also blue', FORGEJO: 'not a token' };
  const cases: Array<[string, Parameters<typeof fixture>[1], Record<string, string>]> = [
    ['push run', {}, both],
    ['pull_request_target, local PR', { event: 'pull_request', triggerEvent: 'pull_request_target', payload: pullRequestEvent(false) }, both],
    ['pull_request_target, fork PR', { event: 'pull_request', triggerEvent: 'pull_request_target', payload: pullRequestEvent(true), fork: true }, both],
    ['pull_request, local PR', { event: 'pull_request', payload: pullRequestEvent(false) }, both],
    ['pull_request, fork PR', { event: 'pull_request', payload: pullRequestEvent(true), fork: true }, {}],
  ];
  for (const [name, run, expected] of cases) {
    it(`${name} → ${Object.keys(expected).join(', ') || 'no user secrets'}, plus the task token thrice`, async () => {
      const f = await fixture(deps, run);
      const { secrets } = await buildTaskPayload(deps.knex, deps, f);
      expect(secrets).to.deep.equal({ ...expected, GITHUB_TOKEN: f.token, GITEA_TOKEN: f.token, FORGEJO_TOKEN: f.token });
    });
  }

  /** an expanded call: the caller (outer) job and its inner job, with jobparser's metadata */
  async function reusableRun(runSpec: Parameters<typeof fixture>[1], callerSecrets: unknown, extra: { callerJob?: Record<string, unknown>; needs?: string[] } = {}) {
    const run = await insertRun(deps.knex, deps, runSpec);
    const callerDoc = {
      name: 'test',
      jobs: { call: { name: 'call', 'runs-on': [], if: false, uses: './.forgejo/workflows/reusable.yml', secrets: callerSecrets, ...extra.callerJob } },
      __metadata: { workflow_call_id: 'b5a9f46f' },
    };
    await insertJob(deps.knex, deps, run, { jobId: 'call', doc: callerDoc, needs: ['call.inner', ...(extra.needs ?? [])], status: 7 });
    const inner = await insertJob(deps.knex, deps, run, {
      jobId: 'call.inner',
      doc: { ...singleJobDoc('call.inner'), on: { workflow_call: { inputs: {} } }, __metadata: { workflow_call_parent: 'b5a9f46f' } },
    });
    const t = await insertTask(deps.knex, inner);
    return { run, job: inner, ...t };
  }

  it('an inner reusable-workflow job with `secrets: inherit` gets the caller’s secrets, and event_name workflow_call', async () => {
    const f = await reusableRun({}, 'inherit');
    const { secrets, context } = await buildTaskPayload(deps.knex, deps, f);
    expect(secrets).to.deep.equal({ ...both, GITHUB_TOKEN: f.token, GITEA_TOKEN: f.token, FORGEJO_TOKEN: f.token });
    expect(context.event_name).to.equal('workflow_call');
    expect(context.job).to.equal('call.inner');
  });

  it('inherit under a fork pull request inherits nothing', async () => {
    const f = await reusableRun({ event: 'pull_request', payload: pullRequestEvent(true), fork: true }, 'inherit');
    const { secrets } = await buildTaskPayload(deps.knex, deps, f);
    expect(secrets).to.deep.equal({ GITHUB_TOKEN: f.token, GITEA_TOKEN: f.token, FORGEJO_TOKEN: f.token });
  });

  it('two levels: inherit passes on only what the parent call received', async () => {
    const run = await insertRun(deps.knex, deps);
    await insertJob(deps.knex, deps, run, {
      jobId: 'outer',
      doc: { name: 't', jobs: { outer: { 'runs-on': [], uses: './a.yml', secrets: { secret_1: '${{ secrets.secret_1 }} -- but are you sure?' } } }, __metadata: { workflow_call_id: 'h1' } },
    });
    await insertJob(deps.knex, deps, run, {
      jobId: 'outer.middle',
      doc: { name: 't', jobs: { 'outer.middle': { 'runs-on': [], uses: './b.yml', secrets: 'inherit' } }, __metadata: { workflow_call_id: 'h2', workflow_call_parent: 'h1' } },
    });
    const inner = await insertJob(deps.knex, deps, run, {
      jobId: 'outer.middle.inner',
      doc: { ...singleJobDoc('outer.middle.inner'), __metadata: { workflow_call_parent: 'h2' } },
    });
    const t = await insertTask(deps.knex, inner);
    const queries: string[] = [];
    const listener = (q: { sql: string }) => queries.push(q.sql);
    deps.knex.on('query', listener);
    let secrets: Record<string, string>;
    try {
      ({ secrets } = await buildTaskPayload(deps.knex, deps, { run, job: inner, ...t }));
    } finally {
      deps.knex.off('query', listener);
    }
    expect(secrets).to.deep.equal({ SECRET_1: 'the sky is blue -- but are you sure?', GITHUB_TOKEN: t.token, GITEA_TOKEN: t.token, FORGEJO_TOKEN: t.token });
    // the run's jobs are read once for the whole chain of callers
    expect(queries.filter((q) => /from [`"]?action_run_job[`"]? where [`"]?run_id[`"]? = /i.test(q))).to.have.length(1);
  });

  it('an explicit `secrets:` mapping is evaluated in the caller’s context (forgejo, inputs, matrix, needs, secrets, strategy, vars)', async () => {
    const dispatch = { ...pushEvent(), ref: 'refs/heads/main', inputs: { some_wd_input: 'some_wd_input_value' } };
    const run = await insertRun(deps.knex, deps, { event: 'workflow_dispatch', payload: dispatch });
    const provider = await insertJob(deps.knex, deps, run, { jobId: 'provide-outputs', status: 1 });
    const { taskId } = await insertTask(deps.knex, provider, { status: 1 });
    await deps.knex('action_task_output').insert({ task_id: taskId, output_key: 'some-output', output_value: 'abcdefghijklmnopqrstuvwxyz' });
    const mapping = {
      forgejo: 'context forgejo = ${{ forgejo.ref }}',
      inputs: 'context inputs = ${{ inputs.some_wd_input }}',
      matrix: 'context matrix = ${{ matrix.some-dimension }}',
      needs: "context needs = ${{ needs.provide-outputs.outputs.some-output }}",
      secrets: 'context secrets = ${{ secrets.secret_1 }}',
      strategy: 'context strategy = ${{ strategy.fail-fast }}',
      vars: 'context vars = ${{ vars.repo_var }}',
    };
    await insertJob(deps.knex, deps, run, {
      jobId: 'call',
      needs: ['provide-outputs', 'call.inner'],
      doc: {
        name: 't',
        jobs: { call: { 'runs-on': [], uses: './r.yml', secrets: mapping, strategy: { 'fail-fast': false, matrix: { 'some-dimension': ['some-dimension-value'] } } } },
        __metadata: { workflow_call_id: 'x1' },
      },
    });
    const inner = await insertJob(deps.knex, deps, run, { jobId: 'call.inner', doc: { ...singleJobDoc('call.inner'), __metadata: { workflow_call_parent: 'x1' } } });
    const t = await insertTask(deps.knex, inner);
    const { secrets } = await buildTaskPayload(deps.knex, deps, { run, job: inner, ...t });
    expect(secrets).to.deep.equal({
      FORGEJO: 'context forgejo = refs/heads/main',
      INPUTS: 'context inputs = some_wd_input_value',
      MATRIX: 'context matrix = some-dimension-value',
      NEEDS: 'context needs = abcdefghijklmnopqrstuvwxyz',
      SECRETS: 'context secrets = the sky is blue',
      STRATEGY: 'context strategy = false',
      VARS: 'context vars = this is a repo variable',
      GITHUB_TOKEN: t.token,
      GITEA_TOKEN: t.token,
      FORGEJO_TOKEN: t.token,
    });
  });
});
