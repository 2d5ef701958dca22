// Request bodies the REST API cannot read are answered with a 4xx `{message}`, never a 500.
import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { startSecurityEnv, type SecurityEnv } from '../security/helpers.js';

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
