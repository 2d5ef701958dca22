import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gitHost, InvalidArgument, NotFound, type Repository } from '../../lib/index.js';
import { pushDemoCommit } from '../../examples/demo/sample-repo.js';
import { tempDir } from '../support/temp.js';

describe('gitHost over bare repositories', () => {
  let root: string;
  const repo: Repository = { id: 1, name: 'hello', full_name: 'demo/hello', owner: { id: 1, login: 'demo' }, default_branch: 'main' };
  before(() => {
    root = tempDir('githost');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists, reads, resolves refs and diffs commits', async () => {
    const first = pushDemoCommit(root, 'demo', 'hello');
    const second = pushDemoCommit(root, 'demo', 'hello');
    const host = gitHost({ root });
    expect(await host.listFiles(repo, second.after, '.forgejo/workflows')).to.deep.equal(['demo.yml']);
    expect(await host.listFiles(repo, second.after, '.github/workflows')).to.equal(null);
    expect(await host.readFile(repo, second.after, '.forgejo/workflows/demo.yml')).to.match(/^name: demo/);
    expect(await host.readFile(repo, second.after, 'nope.txt')).to.equal(null);
    expect(await host.resolveRef!(repo, 'refs/heads/main')).to.equal(second.after);
    expect(await host.resolveRef!(repo, 'refs/heads/none')).to.equal(null);
    // the second push rewrites the same workflow: only the README differs
    expect(await host.changedFiles!(repo, first.after, second.after)).to.deep.equal(['README.md']);
    expect((await host.changedFiles!(repo, '0'.repeat(40), first.after)).sort()).to.deep.equal(['.forgejo/workflows/demo.yml', 'README.md']);
  });

  it('says clearly when the repository or the commit is missing', async () => {
    const host = gitHost({ root });
    const missing = { ...repo, name: 'none', full_name: 'demo/none' };
    const err1 = await host.listFiles(missing, 'a'.repeat(40), '.forgejo/workflows').catch((e: unknown) => e);
    expect(err1).to.be.instanceOf(NotFound);
    expect(String(err1)).to.match(/repository demo\/none not found/);
    const err2 = await host.readFile(repo, 'b'.repeat(40), 'README.md').catch((e: unknown) => e);
    expect(err2).to.be.instanceOf(NotFound);
    expect(String(err2)).to.match(/commit b{40} not found in demo\/hello/);
  });

  it('takes a tree id for a missing commit, not for a commit whose path is missing', async () => {
    const host = gitHost({ root });
    const head = (await host.resolveRef!(repo, 'refs/heads/main'))!;
    const tree = execFileSync('git', ['--git-dir', path.join(root, 'demo', 'hello.git'), 'rev-parse', `${head}^{tree}`], { encoding: 'utf8' }).trim();
    for (const read of [() => host.readFile(repo, tree, 'README.md'), () => host.listFiles(repo, tree, '.forgejo/workflows'), () => host.listFiles(repo, tree, '')]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NotFound);
      expect(String(err)).to.match(new RegExp(`commit ${tree} not found`));
    }
    expect(await host.listFiles(repo, head, '')).to.include('README.md');
    expect(await host.listFiles(repo, head, 'nope')).to.equal(null);
    expect(await host.readFile(repo, '-p', 'README.md').catch((e: unknown) => e)).to.be.instanceOf(NotFound);
  });

  it('refuses names and revisions that could escape the root or pass as options', async () => {
    const host = gitHost({ root });
    expect(await host.listFiles({ ...repo, name: '..', full_name: 'demo/..' }, 'a'.repeat(40), 'x').catch((e: unknown) => e)).to.be.instanceOf(InvalidArgument);
    expect(await host.resolveRef!(repo, '--output=/tmp/x')).to.equal(null);
    const head = (await host.resolveRef!(repo, 'refs/heads/main'))!;
    expect(await host.readFile(repo, head, '../../etc/passwd').catch((e: unknown) => e)).to.be.instanceOf(InvalidArgument);
  });
});
