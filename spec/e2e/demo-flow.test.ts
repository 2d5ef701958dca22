// The demo's flow end to end: gitHost over a real bare repository, the shell
// runner executing real bash steps through the protocol, a push to success.
import { expect } from 'chai';
import request from 'supertest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitHost, type Repository } from '../../lib/index.js';
import { ShellRunner } from '../../examples/runner/shell-runner.js';
import { pushDemoCommit } from '../../examples/demo/sample-repo.js';
import { forEachDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/plugin.js';
import { tempDir } from '../support/temp.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

forEachDatabase('a push runs to success through gitHost and the shell runner', (kind) => {
  let t: TestServer;
  let runner: ShellRunner | undefined;
  let root: string;
  const repo: Repository = { id: 11, name: 'hello', full_name: 'demo/hello', owner: { id: 5, login: 'demo' }, default_branch: 'main' };

  beforeEach(async () => {
    root = tempDir('e2e');
    t = await startTestServer(kind, {
      host: gitHost({ root, extend: { getRepository: async (n) => (n === repo.full_name ? repo : null), authorize: async () => true } }),
      logDir: path.join(root, 'logs'),
    });
  });
  afterEach(async () => {
    await runner?.stop();
    await t.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('runs both matrix legs, then the job that needs them, with their logs and outputs', async function () {
    this.timeout(90_000);
    const token = await t.plugin.service.runners.registrationToken({});
    runner = await ShellRunner.start({ baseUrl: t.baseUrl, registrationToken: token, labels: ['host'], pollMs: 100 });
    const pushed = pushDemoCommit(root, 'demo', 'hello');
    const [run] = await t.plugin.hooks.push({
      ref: pushed.ref,
      before: pushed.before,
      after: pushed.after,
      repository: repo,
      sender: { id: 5, login: 'demo' },
      head_commit: { id: pushed.after, message: pushed.message, added: pushed.added, removed: [], modified: pushed.modified },
      commits: [],
    });
    expect(run).to.not.equal(undefined);
    const final = await until('the run to finish', async () => {
      const r = await t.plugin.service.runs.get(repo.id, run!.id);
      return ['success', 'failure', 'cancelled'].includes(r.status) ? r : undefined;
    });
    expect(final.status).to.equal('success');
    const { items } = await t.plugin.service.runs.jobs(repo.id, run!.id);
    expect(items.map((j) => [j.name, j.status])).to.deep.equal([
      ['build (bonjour)', 'success'],
      ['build (hello)', 'success'],
      ['report', 'success'],
    ]);
    const text = async (jobId: number) => (await t.plugin.service.logs.job(jobId)).map((l) => l.content);
    expect(await text(items[0]!.id)).to.include(`bonjour from Linux at ${pushed.after}`);
    expect(await text(items[1]!.id)).to.include('building part 3');
    const report = await text(items[2]!.id);
    expect(report.some((l) => /^builds finished with success; one of them said (hello|bonjour)$/.test(l))).to.equal(true);
    // the archived log over HTTP, whole and by step, in Forgejo's line format
    const whole = await request(t.app).get(`/actions/api/v1/repos/demo/hello/actions/jobs/${items[0]!.id}/logs`);
    expect(whole.status).to.equal(200);
    expect(whole.headers['content-type']).to.match(/^text\/plain/);
    expect(whole.text).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z shell runner: job build \(bonjour\)/);
    expect(whole.text).to.contain(`Z bonjour from Linux at ${pushed.after}\n`);
    const build = await request(t.app).get(`/actions/api/v1/repos/demo/hello/actions/jobs/${items[0]!.id}/logs?step=1`);
    expect(build.text.trim().split('\n').map((l) => l.slice(l.indexOf(' ') + 1))).to.deep.equal(['building part 1', 'building part 2', 'building part 3']);
  });

  it('a failing step fails its job, skips the dependent job, and refuses `uses:` steps with a clear line', async function () {
    this.timeout(90_000);
    const bare = path.join(root, 'demo', 'hello.git');
    const work = tempDir('e2e-work');
    const git = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('git', args, { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }, (e, out) => (e ? reject(e) : resolve(out.trim()))),
      );
    fs.mkdirSync(bare, { recursive: true });
    await new Promise((r) => execFile('git', ['init', '--bare', '-q', bare], r));
    fs.mkdirSync(path.join(work, '.forgejo/workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(work, '.forgejo/workflows/fail.yml'),
      'on: push\njobs:\n  a:\n    runs-on: host\n    steps:\n      - uses: actions/checkout@v4\n  b:\n    needs: a\n    runs-on: host\n    steps:\n      - run: echo never\n',
    );
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'fail');
    await git('push', '-q', bare, 'HEAD:refs/heads/main');
    const sha = await git('rev-parse', 'HEAD');
    fs.rmSync(work, { recursive: true, force: true });
    const token = await t.plugin.service.runners.registrationToken({ repoId: repo.id });
    runner = await ShellRunner.start({ baseUrl: t.baseUrl, registrationToken: token, labels: ['host'], pollMs: 100 });
    const [run] = await t.plugin.hooks.push({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, repository: repo, sender: { id: 5, login: 'demo' }, head_commit: { id: sha, message: 'fail' } });
    const final = await until('the run to finish', async () => {
      const r = await t.plugin.service.runs.get(repo.id, run!.id);
      return ['success', 'failure', 'cancelled'].includes(r.status) ? r : undefined;
    });
    expect(final.status).to.equal('failure');
    const { items } = await t.plugin.service.runs.jobs(repo.id, run!.id);
    expect(items.map((j) => [j.job_id, j.status])).to.deep.equal([
      ['a', 'failure'],
      ['b', 'skipped'],
    ]);
    const lines = (await t.plugin.service.logs.job(items[0]!.id)).map((l) => l.content);
    expect(lines).to.include('::error:: uses: actions/checkout@v4 is not supported by the shell runner; use forgejo-runner for actions');
  });
});

describe('npm start', () => {
  it('reaches "success" on a fresh data directory', async function () {
    this.timeout(120_000);
    const data = tempDir('demo');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(here, '../../examples/demo/main.ts')],
        { cwd: path.join(here, '../..'), env: { ...process.env, PORT: '0', DEMO_DATA: data, DEMO_EXIT: '1' }, timeout: 110_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      );
    });
    fs.rmSync(data, { recursive: true, force: true });
    expect(out).to.match(/run #1 finished: success/);
    expect(out).to.match(/\[report\] \| builds finished with success/);
  });
});
