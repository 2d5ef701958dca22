// Bodies the runner service cannot decode are the caller's fault: invalid_argument, never internal
// (connect-es answers undecodable binary bodies with internal; routes/runner/index.ts maps them).
import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { startEnv, type Env } from './helpers.js';

forEachDatabase('runner protocol: undecodable bodies', (kind) => {
  let env: Env;
  before(async () => (env = await startEnv(kind)));
  after(async () => env.close());

  const post = (method: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
    fetch(`${env.baseUrl}/api/actions/runner.v1.RunnerService/${method}`, { method: 'POST', headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1', ...headers }, body });

  it('answers a truncated, invalid UTF-8, nonsense or falsely compressed protobuf body with invalid_argument', async () => {
    const c = await env.runner();
    const auth = { 'x-runner-uuid': c.creds.uuid, 'x-runner-token': c.creds.token };
    const bodies: Array<[string, Uint8Array<ArrayBuffer>]> = [
      ['Register', new Uint8Array([0x0a, 0x05, 0x61])], // a string field cut short
      ['Declare', new Uint8Array([0x12, 0x02, 0xff, 0xfe])], // invalid UTF-8 in labels
      ['UpdateLog', new Uint8Array([0x1a, 0x04, 0x12, 0x02, 0xc3, 0x28])], // invalid UTF-8 in LogRow.content
      ['FetchTask', new Uint8Array([0x0f, 0xff, 0xff])], // an illegal wire type
    ];
    for (const [method, body] of bodies) {
      const res = await post(method, body, auth);
      const answer = (await res.json()) as { code: string; message: string };
      expect(res.status, method).to.equal(400);
      expect(answer.code, method).to.equal('invalid_argument');
      expect(answer.message).to.match(/^parse binary: /);
    }
    // a body that claims a compression it does not have
    const gz = await post('FetchTask', new Uint8Array([1, 2, 3]), { ...auth, 'content-encoding': 'gzip' });
    expect([gz.status, ((await gz.json()) as { code: string }).code]).to.deep.equal([400, 'invalid_argument']);
    // nothing was written by any of them
    expect(Number((await env.knex('action_log_row').count({ c: '*' }).first())!.c)).to.equal(0);
  });

  it('keeps other answers as they were', async () => {
    const res = await post('FetchTask', new Uint8Array([]));
    expect(res.status).to.equal(401);
    expect(((await res.json()) as { code: string }).code).to.equal('unauthenticated');
  });
});
