// Request bodies the REST API cannot read are answered with a 4xx `{message}`, never a 500.
import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { startSecurityEnv, type SecurityEnv } from '../security/helpers.js';
import request from 'supertest';
import { Code, type ConnectError } from '@connectrpc/connect';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { MemoryHost } from '../support/memory-host.js';
import { protocolClients } from '../../lib/index.js';
import { capContent } from '../../lib/logs/format.js';

forEachDatabase('REST API: unreadable bodies', (kind) => {
  let env: SecurityEnv;
  before(async () => (env = await startSecurityEnv(kind)));
  after(async () => env.close());

  it('an unsupported charset is a 415, malformed JSON a 400, neither logged as an error', async () => {
    const url = `${env.server.baseUrl}/api/v1/admin/actions/variables/X`;
    const charset = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"value":"v"}' });
    expect(charset.status).to.equal(415);
    expect(await charset.json()).to.deep.equal({ message: 'unsupported request body charset or encoding' });
    const broken = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"value":' });
    expect(broken.status).to.equal(400);
    expect(await broken.json()).to.deep.equal({ message: 'malformed JSON body' });
    expect(env.logs.filter((l) => l.includes('unexpected REST API error'))).to.deep.equal([]);
    expect(await env.knex('action_variable').count({ c: '*' }).first().then((r) => Number(r!.c))).to.equal(0);
  });

  it('a path with a bad percent-encoding is a 400 `{message}`, on the REST API and the id-token route alike', async () => {
    for (const route of ['/api/v1/repos/o/r/actions/runs/%ED%A0%80', '/api/actions/_apis/pipelines/workflows/%ED%A0%80/idtoken']) {
      const res = await fetch(`${env.server.baseUrl}${route}`);
      const text = await res.text();
      expect(res.status, route).to.equal(400);
      expect(JSON.parse(text), route).to.deep.equal({ message: 'malformed request' });
    }
  });
});

forEachDatabase('NUL characters (PostgreSQL cannot store them)', (kind) => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(kind, { host: Object.assign(new MemoryHost(), { authorize: async () => true }) });
  });
  after(() => t.close());

  it('in a REST path or a runner name are refused as bad input, never a 500', async () => {
    for (const path of ['/admin/actions/secrets/%00', '/repos/a%00b/c/actions/runs', '/repos/o/r/actions/variables/%00']) {
      const rest = await request(t.app).delete(`/actions/api/v1${path}`);
      expect(rest.status, path).to.be.oneOf([400, 404]);
      expect(rest.body.message, path).to.be.a('string').and.not.match(/select|insert|delete from/i);
    }
    const token = await t.plugin.service.runners.registrationToken({});
    const { runner } = protocolClients(t.baseUrl);
    const err = await runner.register({ name: 'a\u0000b', token, labels: ['x'] }).catch((e: unknown) => e as ConnectError);
    if (kind === 'postgres') expect((err as ConnectError).code).to.equal(Code.InvalidArgument);
    else expect(err).to.have.property('runner');
  });

  it('in a log line are stored as U+FFFD', async () => {
    expect(capContent('a\u0000b')).to.equal('a\uFFFDb');
  });
});
