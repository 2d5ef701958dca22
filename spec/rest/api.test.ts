import { expect } from 'chai';
import request from 'supertest';
import type { Request } from 'express';
import { forEachDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import type { Permission } from '../../lib/index.js';

const rank: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** a host that grants what the x-test-perm header says */
class TestHost extends MemoryHost {
  async authorize(req: Request, need: Permission): Promise<boolean> {
    const has = String(req.headers['x-test-perm'] ?? '');
    return (rank[has] ?? 0) >= rank[need]!;
  }
}

const workflow = `
name: ci
on: [push, workflow_dispatch]
jobs:
  build:
    runs-on: ubuntu
    steps: [{ run: echo hi }]
`;
const dispatchable = `
on:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [low, high]
        required: true
jobs:
  go:
    runs-on: ubuntu
    steps:
      - run: echo \${{ inputs.level }}
`;

forEachDatabase('REST API', (kind) => {
  let t: TestServer;
  let host: TestHost;
  let runId: number;
  const base = '/actions/api/v1/repos/alice/app/actions';
  beforeEach(async () => {
    host = new TestHost();
    t = await startTestServer(kind, { host });
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': workflow, '.forgejo/workflows/manual.yml': dispatchable });
    runId = (await t.plugin.hooks.push(pushPayload(repo, "refs/heads/main", sha)))[0]!.id;
  });
  afterEach(() => t.close());
  const get = (path: string, perm = 'read') => request(t.app).get(base + path).set('x-test-perm', perm).set('authorization', 'token test');
  const post = (path: string, perm = 'write') => request(t.app).post(base + path).set('x-test-perm', perm).set('authorization', 'token test');

  it('lists runs, paginated, with filters', async () => {
    const res = await get('/runs?limit=10&page=1');
    expect(res.status).to.equal(200);
    expect(res.body.total_count).to.equal(1);
    expect(res.body.workflow_runs[0]).to.include({ id: runId, run_number: 1, workflow_id: 'ci.yml', event: 'push', status: 'waiting' });
    expect((await get('/runs?status=success')).body.total_count).to.equal(0);
    expect((await get('/runs?branch=main')).body.total_count).to.equal(1);
    expect((await get('/runs?status=bogus')).status).to.equal(400);
    // inherited property names are not statuses either (found by fuzzing: it reached the SQL)
    expect((await get('/runs?status=constructor')).status).to.equal(400);
    expect((await get('/runs?status=__proto__')).status).to.equal(400);
    expect((await get('/runs?limit=0')).status).to.equal(400);
  });

  it('reads a run and its jobs; 404 for unknown ones; 400 for a bad id', async () => {
    const run = await get(`/runs/${runId}`);
    expect(run.body).to.include({ id: runId, title: 'a change', html_url: `http://localhost:3000/alice/app/actions/runs/1` });
    const jobs = await get(`/runs/${runId}/jobs`);
    expect(jobs.body.total_count).to.equal(1);
    expect(jobs.body.jobs[0]).to.include({ job_id: 'build', name: 'build', status: 'waiting', task_id: 0 });
    expect(jobs.body.jobs[0].runs_on).to.deep.equal(['ubuntu']);
    expect((await get('/runs/999')).status).to.equal(404);
    expect((await get('/runs/999')).body).to.deep.equal({ message: 'run 999 not found' });
    expect((await get('/runs/abc')).status).to.equal(400);
    expect((await request(t.app).get('/actions/api/v1/repos/nobody/none/actions/runs').set('x-test-perm', 'read')).status).to.equal(404);
  });

  it('asks the host: 401 without credentials, 403 without the permission', async () => {
    expect((await request(t.app).get(base + '/runs')).status).to.equal(401);
    expect((await post(`/runs/${runId}/cancel`, 'read')).status).to.equal(403);
    expect((await request(t.app).put(base + '/secrets/X').set('x-test-perm', 'write').set('authorization', 'token test').send({ data: 'v' })).status).to.equal(403);
  });

  it('cancels a run with write permission', async () => {
    const res = await post(`/runs/${runId}/cancel`);
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('cancelled');
  });

  it('dispatches a workflow with typed inputs, and names the bad input with 422', async () => {
    const ok = await post('/workflows/manual.yml/dispatches').send({ ref: 'main', inputs: { level: 'high' } });
    expect(ok.status).to.equal(201);
    expect(ok.body).to.include({ event: 'workflow_dispatch', workflow_id: 'manual.yml', run_number: 2 });
    const bad = await post('/workflows/manual.yml/dispatches').send({ ref: 'main', inputs: { level: 'extreme' } });
    expect(bad.status).to.equal(422);
    expect(bad.body.message).to.match(/level/);
    expect((await post('/workflows/manual.yml/dispatches').send({})).status).to.equal(400);
    expect((await post('/workflows/none.yml/dispatches').send({ ref: 'main' })).status).to.equal(404);
    expect((await post('/workflows/..%2F..%2Fetc%2Fpasswd.yml/dispatches').send({ ref: 'main' })).status).to.equal(400);
    const malformed = await post('/workflows/manual.yml/dispatches').set('content-type', 'application/json').send('{bad');
    expect(malformed.status).to.equal(400);
    expect(malformed.body).to.deep.equal({ message: 'malformed JSON body' });
  });

  it('stores secrets without ever returning their values', async () => {
    const put = await request(t.app).put(base + '/secrets/deploy_key').set('x-test-perm', 'admin').send({ data: 's3cr3t-value' });
    expect(put.status).to.equal(201);
    const list = await get('/secrets', 'admin');
    expect(list.body.total_count).to.equal(1);
    expect(list.body.secrets[0].name).to.equal('DEPLOY_KEY');
    expect(JSON.stringify(list.body)).not.to.contain('s3cr3t-value');
    expect((await request(t.app).delete(base + '/secrets/DEPLOY_KEY').set('x-test-perm', 'admin')).status).to.equal(204);
    expect((await request(t.app).delete(base + '/secrets/DEPLOY_KEY').set('x-test-perm', 'admin')).status).to.equal(404);
  });

  it('manages variables', async () => {
    expect((await post('/variables/region', 'admin').send({ value: 'eu' })).status).to.equal(201);
    expect((await post('/variables/region', 'admin').send({ value: 'eu' })).status).to.equal(409);
    expect((await get('/variables/REGION', 'admin')).body).to.include({ name: 'REGION', data: 'eu' });
    expect((await request(t.app).put(base + '/variables/REGION').set('x-test-perm', 'admin').send({ value: 'us' })).status).to.equal(204);
    expect((await get('/variables', 'admin')).body.variables.map((v: { data: string }) => v.data)).to.deep.equal(['us']);
    expect((await post('/variables/CI', 'admin').send({ value: 'x' })).status).to.equal(400);
  });

  it('hands out and resets registration tokens, registers runners through the API', async () => {
    const first = await get('/runners/registration-token', 'admin');
    expect(first.body.token).to.be.a('string').with.length.greaterThan(20);
    expect((await get('/runners/registration-token', 'admin')).body.token).to.equal(first.body.token);
    const reset = await post('/runners/registration-token', 'admin');
    expect(reset.body.token).not.to.equal(first.body.token);
    const created = await post('/runners', 'admin').send({ name: 'r1', ephemeral: true });
    expect(created.status).to.equal(201);
    expect(created.body.token).to.match(/^[0-9a-f]{40}$/);
    const list = await get('/runners', 'admin');
    expect(list.body.runners.map((r: { name: string }) => r.name)).to.deep.equal(['r1']);
    expect(JSON.stringify(list.body)).not.to.contain(created.body.token);
    expect((await request(t.app).delete(`${base}/runners/${created.body.id}`).set('x-test-perm', 'admin')).status).to.equal(204);
    expect((await get('/runners', 'admin')).body.total_count).to.equal(0);
  });

  it('serves an empty log for a job no runner has taken', async () => {
    const jobs = await get(`/runs/${runId}/jobs`);
    const log = await get(`/jobs/${jobs.body.jobs[0].id}/logs`);
    expect(log.status).to.equal(200);
    expect(log.headers['content-type']).to.match(/^text\/plain/);
    expect(log.text).to.equal('');
  });
});
