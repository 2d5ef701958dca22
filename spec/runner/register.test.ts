import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { protocolClients, RunnerClient } from '../support/runner-client.js';
import {
  deleteRunner,
  getOrCreateRegistrationToken,
  listRunners,
  registerRunnerViaApi,
  resetRegistrationToken,
} from '../../lib/runners.js';
import { hashToken } from '../../lib/tokens.js';
import { startEnv, expectCode, type Env } from './helpers.js';

forEachDatabase('runner protocol: Ping, Register, Declare, authentication', (kind) => {
  let env: Env;
  before(async () => (env = await startEnv(kind)));
  after(async () => env.close());

  it('Ping answers without authentication', async () => {
    const { ping } = protocolClients(env.baseUrl);
    expect((await ping.ping({ data: 'mock-runner' })).data).to.equal('Hello, mock-runner!');
  });

  it('registers with a scope token: labels, version, ephemeral; the runner token is stored only as a hash', async () => {
    const token = await getOrCreateRegistrationToken(env.deps, { repoId: 7 });
    expect(token).to.have.length(43);
    expect(await getOrCreateRegistrationToken(env.deps, { repoId: 7 })).to.equal(token);
    const { runner } = protocolClients(env.baseUrl);
    const res = await runner.register({ name: 'r1', token, version: 'v12.1.0', labels: ['ubuntu-latest', 'docker'], agentLabels: ['ignored'], ephemeral: true });
    const r = res.runner!;
    expect(r.name).to.equal('r1');
    expect(r.labels).to.deep.equal(['ubuntu-latest', 'docker']);
    expect(r.version).to.equal('v12.1.0');
    expect(r.ephemeral).to.equal(true);
    expect(r.token).to.match(/^[0-9a-f]{40}$/);
    expect(r.uuid).to.match(/^[0-9a-f-]{36}$/);
    const row = await env.knex('action_runner').where({ uuid: r.uuid }).first();
    expect(row.token_hash).to.equal(hashToken(r.token));
    expect(JSON.stringify(row)).not.to.contain(r.token);
    expect(Number(row.repo_id)).to.equal(7);
    expect(Number(row.owner_id)).to.equal(0);
  });

  it('Register refuses a missing, unknown or reset token', async () => {
    const { runner } = protocolClients(env.baseUrl);
    await expectCode(runner.register({ name: '', token: 'x' }), 'invalid_argument', /^missing runner token, name$/);
    await expectCode(runner.register({ name: 'a', token: '' }), 'invalid_argument', /^missing runner token, name$/);
    await expectCode(runner.register({ name: 'a', token: 'nope' }), 'invalid_argument', /^runner registration token not found$/);
    const old = await getOrCreateRegistrationToken(env.deps, { ownerId: 3 });
    const fresh = await resetRegistrationToken(env.deps, { ownerId: 3 });
    expect(fresh).not.to.equal(old);
    await expectCode(runner.register({ name: 'a', token: old, labels: ['x'] }), 'invalid_argument', /has been invalidated, please use the latest one/);
    const ok = await runner.register({ name: 'a', token: fresh, labels: ['x'] });
    expect(ok.runner!.id > 0n).to.equal(true);
  });

  it('a long name is cut at 255 bytes with an ellipsis', async () => {
    const token = await getOrCreateRegistrationToken(env.deps, {});
    const { runner } = protocolClients(env.baseUrl);
    const res = await runner.register({ name: 'é'.repeat(200), token, labels: ['x'] });
    expect(Buffer.byteLength(res.runner!.name)).to.be.at.most(255);
    expect(res.runner!.name.endsWith('…')).to.equal(true);
  });

  it('Declare replaces labels and version and never reveals the token', async () => {
    const c = await env.runner({ labels: ['a'] });
    const r = await c.declare(['docker:docker://node:20', 'b'], 'v12.2.0');
    expect(r.labels).to.deep.equal(['docker:docker://node:20', 'b']);
    expect(r.version).to.equal('v12.2.0');
    expect(r.token).to.equal('');
    const row = await env.knex('action_runner').where({ uuid: c.creds.uuid }).first();
    expect(JSON.parse(row.labels)).to.deep.equal(['docker:docker://node:20', 'b']);
  });

  it('every call but Register and Ping needs the right uuid and token, also a token that has just been accepted', async () => {
    const c = await env.runner();
    const other = await env.runner();
    // both tokens accepted once: the instance now knows their digests
    await c.fetchTask();
    await other.fetchTask();
    const cases: Array<{ uuid: string; token: string }> = [
      { uuid: '', token: '' },
      { uuid: c.creds.uuid, token: '' },
      { uuid: c.creds.uuid, token: 'f'.repeat(40) },
      { uuid: '00000000-0000-4000-8000-000000000000', token: c.creds.token },
      { uuid: other.creds.uuid, token: c.creds.token },
      { uuid: c.creds.uuid, token: other.creds.token },
    ];
    for (const creds of cases) {
      const bad = new RunnerClient(env.baseUrl, creds);
      await expectCode(bad.declare(['x']), 'unauthenticated', /^unregistered runner$/);
      await expectCode(bad.fetchTask(), 'unauthenticated', /^unregistered runner$/);
      await expectCode(bad.rpc.updateTask({ state: { id: 1n } }, { headers: bad.headers() }), 'unauthenticated');
      await expectCode(bad.rpc.updateLog({ taskId: 1n }, { headers: bad.headers() }), 'unauthenticated');
    }
  });

  it('FetchSingleTask answers unimplemented', async () => {
    const c = await env.runner();
    await expectCode(c.rpc.fetchSingleTask({}, { headers: c.headers() }), 'unimplemented');
  });

  it('writes last_online at most once per 30 s, not on every poll', async () => {
    const c = await env.runner();
    const lastOnline = async () => Number((await env.knex('action_runner').where({ uuid: c.creds.uuid }).first('last_online')).last_online);
    await c.fetchTask();
    const first = await lastOnline();
    expect(first).to.equal(env.server.clock.now().getTime());
    env.server.clock.advance(10_000);
    await c.fetchTask();
    expect(await lastOnline()).to.equal(first);
    env.server.clock.advance(20_000);
    await c.fetchTask();
    expect(await lastOnline()).to.equal(first + 30_000);
  });

  it('service API: register through the API, list by scope, delete (refused at once, uuid rewritten)', async () => {
    const created = await registerRunnerViaApi(env.deps, { ownerId: 42 }, { name: 'api-runner', description: 'd', ephemeral: false });
    expect(created.token).to.match(/^[0-9a-f]{40}$/);
    const c = new RunnerClient(env.baseUrl, { uuid: created.uuid, token: created.token });
    const declared = await c.declare(['ubuntu-latest'], 'v12.3.0');
    expect(declared.id).to.equal(BigInt(created.id));
    const listed = await listRunners(env.deps, { ownerId: 42 });
    expect(listed.map((r) => r.id)).to.deep.equal([created.id]);
    expect(listed[0]!.labels).to.deep.equal(['ubuntu-latest']);
    expect(listed[0]!.status).to.equal('idle'); // Declare counts as being online
    expect(JSON.stringify(listed)).not.to.contain(created.token);
    expect(await listRunners(env.deps, { ownerId: 43 })).to.deep.equal([]);
    let err: unknown;
    await deleteRunner(env.deps, { ownerId: 43 }, created.id).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/not found/);
    await deleteRunner(env.deps, { ownerId: 42 }, created.id);
    await expectCode(c.fetchTask(), 'unauthenticated', /^unregistered runner$/);
    const row = await env.knex('action_runner').where({ id: created.id }).first();
    expect(row.uuid).to.match(/^ffffffff-ffff-ffff-/);
    expect(Number(row.deleted)).to.be.greaterThan(0);
    expect(await listRunners(env.deps, { ownerId: 42 })).to.deep.equal([]);
  });

  it('serves JSON as well as binary protobuf', async () => {
    const res = await fetch(`${env.baseUrl}/api/actions/ping.v1.PingService/Ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: 'json' }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ data: 'Hello, json!' });
    const unauth = await fetch(`${env.baseUrl}/api/actions/runner.v1.RunnerService/FetchTask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tasksVersion: '0' }),
    });
    expect(unauth.status).to.equal(401);
    expect(await unauth.json()).to.deep.equal({ code: 'unauthenticated', message: 'unregistered runner' });
  });
});
