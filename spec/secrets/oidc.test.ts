import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildTaskPayload } from '../../lib/task-payload.js';
import { verifyTaskToken } from '../../lib/task-token.js';
import { createRuntimeToken } from '../../lib/oidc/runtime-token.js';
import { rotateSigningKey } from '../../lib/oidc/signing-keys.js';
import { Status } from '../../lib/status.js';
import { hashToken } from '../../lib/tokens.js';
import { forEachDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { fixture, openDeps, OWNER_ID, pullRequestEvent, PUBLIC_URL, REPO_ID, singleJobDoc, type Fixture, type TestDeps } from './helpers.js';

const KEY = 'the master key shared by plugin and test';
const ISSUER = 'https://forge.example/actions/api/actions';
const oidcDoc = singleJobDoc('build', {}, { 'enable-openid-connect': true });

forEachDatabase('OIDC over HTTP', (kind) => {
  let server: TestServer;
  let deps: TestDeps;
  before(async () => {
    server = await startTestServer(kind, { secretKey: KEY, publicUrl: PUBLIC_URL });
    // a second Deps on the plugin's database, to insert fixtures and build payloads as FetchTask would
    deps = await openDeps(kind, { databaseUrl: server.databaseUrl, secretKey: KEY, clock: server.clock });
  });
  after(async () => {
    await deps.close();
    await server.close();
  });

  const api = (path: string) => `${server.baseUrl}/api/actions${path}`;
  const jwks = () => createRemoteJWKSet(new URL(api('/.well-known/keys')));

  async function oidcTask(runNumber?: number): Promise<Fixture & { runtimeToken: string; url: string }> {
    const f = await fixture(deps, { runNumber }, { doc: oidcDoc });
    const { context } = await buildTaskPayload(deps.knex, deps, f);
    return { ...f, runtimeToken: String(context.forgejo_actions_id_token_request_token), url: String(context.forgejo_actions_id_token_request_url) };
  }

  async function idToken(runId: number | string, token: string | undefined, audience?: string): Promise<Response> {
    const query = audience ? `?placeholder=true&audience=${encodeURIComponent(audience)}` : '?placeholder=true';
    return fetch(api(`/_apis/pipelines/workflows/${runId}/idtoken${query}`), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  }

  it('serves the discovery document and a JWKS with one RS256 key', async () => {
    const doc = await (await fetch(api('/.well-known/openid-configuration'))).json();
    expect(doc).to.deep.equal({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/keys`,
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'nbf', 'actor', 'base_ref', 'event_name', 'head_ref', 'ref', 'ref_protected', 'ref_type', 'repository', 'repository_owner', 'run_attempt', 'run_id', 'run_number', 'sha', 'workflow', 'workflow_ref'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    });
    const set = (await (await fetch(api('/.well-known/keys'))).json()) as { keys: Array<Record<string, string>> };
    expect(set.keys).to.have.length(1);
    expect(set.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(set.keys[0]!.n).to.match(/^[A-Za-z0-9_-]{300,}$/);
    expect(set.keys[0]).not.to.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
    // stored once: a second request publishes the same key, and the private part is sealed in the database
    const again = (await (await fetch(api('/.well-known/keys'))).json()) as { keys: Array<Record<string, string>> };
    expect(again.keys[0]!.kid).to.equal(set.keys[0]!.kid);
    const row = await deps.knex('action_signing_key').first();
    expect(String(row.private_jwk)).to.match(/^v1\./);
    expect(String(row.private_jwk)).not.to.include('"d"');
  });

  it('issues an id-token for the runtime token, verifiable against the plugin’s own JWKS', async () => {
    const f = await oidcTask(188);
    expect(f.url).to.equal(`${ISSUER}/_apis/pipelines/workflows/${f.run.id}/idtoken?placeholder=true`);
    const res = await idToken(f.run.id, f.runtimeToken);
    expect(res.status).to.equal(200);
    const { value } = (await res.json()) as { value: string };
    expect(decodeProtectedHeader(value).alg).to.equal('RS256');
    const { payload } = await jwtVerify(value, jwks(), { issuer: ISSUER, audience: `${PUBLIC_URL}user5`, currentDate: server.clock.now() });
    const now = Math.floor(server.clock.now().getTime() / 1000);
    expect(payload).to.deep.include({
      sub: 'repo:user5/repo4:ref:refs/heads/main',
      actor: 'user1',
      base_ref: '',
      event_name: 'push',
      head_ref: '',
      ref: 'refs/heads/main',
      ref_protected: 'false',
      ref_type: 'branch',
      repository: 'user5/repo4',
      repository_owner: 'user5',
      run_attempt: '1',
      run_id: String(f.run.id),
      run_number: '188',
      sha: 'c2d72f548424103f01ee1dc02889c1e2bff816b0',
      workflow: 'artifact.yaml',
      workflow_ref: 'user5/repo4/.forgejo/workflows/artifact.yaml@refs/heads/main',
      iat: now,
      nbf: now,
      exp: now + 3600,
    });
    const custom = await idToken(f.run.id, f.runtimeToken, 'testingAud');
    const aud = await jwtVerify(((await custom.json()) as { value: string }).value, jwks(), { audience: 'testingAud', currentDate: server.clock.now() });
    expect(aud.payload.aud).to.equal('testingAud');
  });

  it('refuses with Forgejo’s statuses: no header, bad token, unknown task, finished task, other run, no OIDC claims', async () => {
    const f = await oidcTask();
    const check = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).to.equal(status);
      expect(((await res.json()) as { message: string }).message).to.match(message);
    };
    await check(await idToken(f.run.id, undefined), 401, /Bad authorization header/);
    await check(await fetch(api(`/_apis/pipelines/workflows/${f.run.id}/idtoken`), { headers: { authorization: `token ${f.runtimeToken}` } }), 401, /Bad authorization header/);
    await check(await idToken(f.run.id, '1234567'), 500, /Error runner api parsing authorization token/);
    const forged = await createRuntimeToken({ config: { ...deps.config, secretKey: 'another key, long enough!' }, clock: deps.clock }, { taskId: f.taskId, runId: f.run.id, jobId: f.job.id, oidc: { extra: {}, sub: 'x' } });
    await check(await idToken(f.run.id, forged), 500, /parsing authorization token/);
    const unknown = await createRuntimeToken(deps, { taskId: 123456, runId: f.run.id, jobId: f.job.id, oidc: { extra: { repository_owner: 'x' }, sub: 'x' } });
    await check(await idToken('abcde', unknown), 500, /Error runner api getting task by ID/);
    await check(await idToken('abcde', f.runtimeToken), 400, /run-id does not match/);
    await check(await idToken(f.run.id + 1000, f.runtimeToken), 400, /run-id does not match/);
    const plain = await fixture(deps);
    const noOidc = String((await buildTaskPayload(deps.knex, deps, plain)).context.gitea_runtime_token);
    await check(await idToken(plain.run.id, noOidc), 500, /parsing custom claims/);
    await deps.knex('action_task').where({ id: f.taskId }).update({ status: Status.success });
    await check(await idToken(f.run.id, f.runtimeToken), 500, /task is not running/);
    // an expired runtime token (24 h) no longer parses
    const g = await oidcTask();
    server.clock.advance(24 * 3600_000 + 1000);
    try {
      await check(await idToken(g.run.id, g.runtimeToken), 500, /parsing authorization token/);
    } finally {
      server.clock.advance(-(24 * 3600_000 + 1000));
    }
  });

  it('a fork pull request’s task gets no id-token request, and its runtime token cannot get one', async () => {
    const f = await fixture(deps, { event: 'pull_request', payload: pullRequestEvent(true), fork: true }, { doc: oidcDoc });
    const { context } = await buildTaskPayload(deps.knex, deps, f);
    expect(context).not.to.have.property('forgejo_actions_id_token_request_url');
    const res = await idToken(f.run.id, String(context.gitea_runtime_token));
    expect(res.status).to.equal(500);
  });

  it('rotation: new tokens use the new key, the old key stays published until its tokens expire', async () => {
    const f = await oidcTask();
    const before = ((await (await idToken(f.run.id, f.runtimeToken)).json()) as { value: string }).value;
    const oldKid = decodeProtectedHeader(before).kid;
    const { kid, retired } = await rotateSigningKey(deps);
    expect(retired).to.deep.equal([oldKid]);
    const after = ((await (await idToken(f.run.id, f.runtimeToken)).json()) as { value: string }).value;
    expect(decodeProtectedHeader(after).kid).to.equal(kid);
    const keys = jwks();
    await jwtVerify(before, keys, { currentDate: server.clock.now() });
    await jwtVerify(after, keys, { currentDate: server.clock.now() });
    const published = async () => ((await (await fetch(api('/.well-known/keys'))).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    expect(await published()).to.have.members([kid, oldKid]);
    server.clock.advance(3600_000 + 6 * 60_000); // past the old tokens' expiry and the margin
    try {
      expect(await published()).to.deep.equal([kid]);
    } finally {
      server.clock.advance(-(3600_000 + 6 * 60_000));
    }
  });
});

forEachDatabase('verifyTaskToken', (kind) => {
  let deps: TestDeps;
  before(async () => {
    deps = await openDeps(kind, { secretKey: KEY });
  });
  after(async () => deps.close());

  it('resolves the token of a running task to write access on its own repository', async () => {
    const f = await fixture(deps);
    expect(await verifyTaskToken(deps, f.token)).to.deep.equal({ taskId: f.taskId, repoId: REPO_ID, ownerId: OWNER_ID, access: 'write' });
    // the runtime JWT is accepted too, as Forgejo does for API credentials with a dot
    const { context } = await buildTaskPayload(deps.knex, deps, f);
    expect(await verifyTaskToken(deps, String(context.gitea_runtime_token))).to.deep.equal({ taskId: f.taskId, repoId: REPO_ID, ownerId: OWNER_ID, access: 'write' });
  });

  it('gives a fork pull request’s task read-only access', async () => {
    const f = await fixture(deps, { event: 'pull_request', payload: pullRequestEvent(true), fork: true });
    expect(await verifyTaskToken(deps, f.token)).to.deep.include({ taskId: f.taskId, access: 'read' });
  });

  it('refuses tokens of finished tasks, replaced tokens, and anything malformed', async () => {
    const f = await fixture(deps);
    const { context } = await buildTaskPayload(deps.knex, deps, f);
    for (const status of [Status.success, Status.failure, Status.cancelled, Status.waiting]) {
      await deps.knex('action_task').where({ id: f.taskId }).update({ status });
      expect(await verifyTaskToken(deps, f.token), String(status)).to.equal(null);
      expect(await verifyTaskToken(deps, String(context.gitea_runtime_token)), String(status)).to.equal(null);
    }
    await deps.knex('action_task').where({ id: f.taskId }).update({ status: Status.running });
    expect(await verifyTaskToken(deps, f.token)).not.to.equal(null);
    // a request-key replay stores the hash of a new token: the old one stops working at once
    const fresh = 'a'.repeat(40);
    await deps.knex('action_task').where({ id: f.taskId }).update({ token_hash: hashToken(fresh) });
    expect(await verifyTaskToken(deps, f.token)).to.equal(null);
    expect(await verifyTaskToken(deps, fresh)).to.deep.include({ taskId: f.taskId });
    for (const bad of ['', 'A'.repeat(40), 'a'.repeat(39), `${'a'.repeat(40)} `, 'x.y.z', 42, null]) {
      expect(await verifyTaskToken(deps, bad as string), String(bad)).to.equal(null);
    }
  });
});
