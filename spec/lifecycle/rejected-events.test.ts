// An event the host refuses (an unknown or unsafe repository name) writes nothing: the stored
// repository is not replaced by the refused event's repository object.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { gitHost, type Repository } from '../../lib/index.js';
import { forEachDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { pushDemoCommit } from '../../examples/demo/sample-repo.js';
import { tempDir } from '../support/temp.js';

forEachDatabase('events the host refuses', (kind) => {
  let t: TestServer;
  let root: string;
  const repo: Repository = { id: 31, name: 'hello', full_name: 'demo/hello', owner: { id: 5, login: 'demo' }, default_branch: 'main' };
  before(async () => {
    root = tempDir('rejected');
    t = await startTestServer(kind, { host: gitHost({ root }), logDir: path.join(root, 'logs') });
  });
  after(async () => {
    await t.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('leave the stored repository as it was', async () => {
    const pushed = pushDemoCommit(root, 'demo', 'hello');
    const sender = { id: 5, login: 'demo' };
    await t.plugin.hooks.push({ ref: pushed.ref, before: pushed.before, after: pushed.after, repository: repo, sender, head_commit: { id: pushed.after, message: 'm' }, commits: [] });
    const stored = async () => (await t.plugin.service.repositories.find('demo', 'hello')).full_name;
    expect(await stored()).to.equal('demo/hello');
    const hostile = { ...repo, name: '../..', full_name: 'demo/../..' };
    const refusals: Array<Promise<unknown>> = [
      t.plugin.hooks.push({ ref: pushed.ref, before: pushed.after, after: pushed.after, repository: hostile, sender, head_commit: { id: pushed.after, message: 'm' }, commits: [] }),
      t.plugin.hooks.watch({ action: 'started', repository: hostile, sender }),
      t.plugin.hooks.repositoryUpdated({ repository: hostile }),
    ];
    for (const p of refusals) {
      const err = await p.then(() => null, (e: unknown) => e as { kind?: string });
      expect(err?.kind).to.equal('invalid_argument');
    }
    expect(await stored()).to.equal('demo/hello');
  });
});

forEachDatabase('repository objects beyond the stored columns', (kind) => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(kind, {});
  });
  after(() => t.close());

  it('are refused with the field named, not with a database error', async () => {
    const repo: Repository = { id: 32, name: 'r', full_name: 'o/r', owner: { id: 1, login: 'o' } };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...repo, full_name: `o/${'x'.repeat(600)}` }, /repository\.full_name/],
      [{ ...repo, default_branch: 'b'.repeat(300) }, /repository\.default_branch/],
      [{ ...repo, id: -4 }, /repository\.id/],
      [{ ...repo, owner: { id: 1, login: '' } }, /repository\.owner\.login/],
    ];
    for (const [hostile, field] of cases) {
      const err = await t.plugin.hooks.repositoryUpdated({ repository: hostile }).then(() => null, (e: unknown) => e as { kind?: string; message?: string });
      expect(err?.kind, JSON.stringify(hostile).slice(0, 80)).to.equal('invalid_argument');
      expect(err?.message).to.match(field);
    }
  });
});
