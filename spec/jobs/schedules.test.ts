import { expect } from 'chai';
import { forEachDatabase } from '../support/databases.js';
import { startJobsEnv, scheduled, scheduleRuns, MINUTE, HOUR, type JobsEnv } from './helpers.js';

forEachDatabase('jobs: schedules', (kind) => {
  let e: JobsEnv;
  beforeEach(async () => {
    e = await startJobsEnv(kind);
  });
  afterEach(() => e.close());

  it('a push to the default branch registers the specs; a due spec fires one run with Forgejo\'s fields', async () => {
    const repo = e.host.repo('alice/app', 1);
    const sha = await e.push(repo, { '.forgejo/workflows/nightly.yml': scheduled('*/5 * * * *') }, 'Add nightly\n\nbody');
    const [s] = await e.t.plugin.service.schedules.list(repo.id);
    expect(s).to.include({ workflow_id: 'nightly.yml', ref: 'main', commit_sha: sha, event: 'push', disabled_reason: '' });
    expect(s!.specs.map((p) => [p.spec, p.next, p.prev, p.error])).to.deep.equal([['*/5 * * * *', '2026-01-05T10:05:00.000Z', null, '']]);

    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(0);

    e.t.clock.set(Date.parse('2026-01-05T10:05:00Z'));
    await e.t.plugin.jobs.run('schedules');
    const runs = await scheduleRuns(e.knex);
    expect(runs).to.have.length(1);
    expect(runs[0]).to.include({
      repo_id: 1,
      workflow_id: 'nightly.yml',
      ref: 'main',
      commit_sha: sha,
      event: 'push',
      trigger_event: 'schedule',
      trigger_user_id: -2,
      trigger_user: 'forgejo-actions',
      schedule_id: s!.id,
      event_payload: '{"action":"schedule"}',
      title: 'Add nightly',
      concurrency_group: 'main_nightly.yml_schedule__auto',
    });
    const [after] = await e.t.plugin.service.schedules.list(repo.id);
    expect(after!.specs[0]).to.include({ prev: '2026-01-05T10:05:00.000Z', next: '2026-01-05T10:10:00.000Z' });
    // running the pass again at the same time fires nothing more
    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(1);
    // no commit status for scheduled runs
    expect(e.host.statuses.filter((x) => x.context.includes('schedule'))).to.deep.equal([]);
  });

  it('a push to the default branch reads its workflow files from the host once, for its runs and its schedules', async () => {
    const repo = e.host.repo('alice/app', 1);
    const reads: string[] = [];
    const { listFiles, readFile } = e.host;
    e.host.listFiles = (r, sha, dir) => (reads.push(`list ${dir}`), listFiles.call(e.host, r, sha, dir));
    e.host.readFile = (r, sha, path) => (reads.push(`read ${path}`), readFile.call(e.host, r, sha, path));
    await e.push(repo, { '.forgejo/workflows/nightly.yml': scheduled('*/5 * * * *'), '.forgejo/workflows/ci.yml': 'on: push\njobs:\n  b: { runs-on: ubuntu, steps: [{ run: x }] }\n' });
    expect(reads.sort()).to.deep.equal(['list .forgejo/workflows', 'read .forgejo/workflows/ci.yml', 'read .forgejo/workflows/nightly.yml']);
    expect((await e.t.plugin.service.schedules.list(repo.id)).map((s) => s.workflow_id)).to.deep.equal(['nightly.yml']);
    expect(await e.knex('action_run').where({ workflow_id: 'ci.yml' }).select('id')).to.have.length(1);
  });

  it('a push to the default branch that skips CI still registers its schedules', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/nightly.yml': scheduled('*/5 * * * *') }, 'Add nightly [skip ci]');
    expect((await e.t.plugin.service.schedules.list(repo.id)).map((s) => s.workflow_id)).to.deep.equal(['nightly.yml']);
    expect(await scheduleRuns(e.knex)).to.have.length(0);
  });

  it('missed occurrences after downtime fire once, then the next slot after now', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/minutely.yml': scheduled('* * * * *') });
    e.t.clock.set(Date.parse('2026-01-05T13:30:30Z'));
    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(1);
    const [s] = await e.t.plugin.service.schedules.list(repo.id);
    expect(s!.specs[0]).to.include({ prev: '2026-01-05T10:01:00.000Z', next: '2026-01-05T13:31:00.000Z' });
    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(1);
  });

  it('time zones: the `timezone` key and the TZ=/CRON_TZ= prefixes; UTC without them; descriptors and @every', async () => {
    const repo = e.host.repo('alice/app', 1);
    const wf = (cron: string, tz?: string) =>
      `on:\n  schedule:\n    - cron: '${cron}'${tz ? `\n      timezone: ${tz}` : ''}\njobs:\n  b: { runs-on: ubuntu, steps: [{ run: x }] }\n`;
    await e.push(repo, {
      '.forgejo/workflows/a.yml': wf('0 10 * * *'),
      '.forgejo/workflows/b.yml': wf('TZ=America/New_York 0 10 * * *'),
      '.forgejo/workflows/c.yml': wf('0 10 * * *', 'America/New_York'),
      '.forgejo/workflows/d.yml': wf('CRON_TZ=Asia/Tokyo 0 10 * * *'),
      '.forgejo/workflows/e.yml': wf('@daily'),
      '.forgejo/workflows/f.yml': wf('@every 90m'),
    });
    const list = await e.t.plugin.service.schedules.list(repo.id);
    const next = Object.fromEntries(list.map((s) => [s.workflow_id, s.specs[0]!.next]));
    expect(next).to.deep.equal({
      'a.yml': '2026-01-06T10:00:00.000Z',
      'b.yml': '2026-01-05T15:00:00.000Z',
      'c.yml': '2026-01-05T15:00:00.000Z',
      'd.yml': '2026-01-06T01:00:00.000Z',
      'e.yml': '2026-01-06T00:00:00.000Z',
      'f.yml': '2026-01-05T11:30:00.000Z',
    });
  });

  it('one bad spec never stops the others: a 6-field spec is listed with its reason and never fires', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/mixed.yml': scheduled(['0 * * * * *', '*/10 * * * *', '@fortnightly']) });
    const [s] = await e.t.plugin.service.schedules.list(repo.id);
    expect(s!.specs.map((p) => p.error === '')).to.deep.equal([false, true, false]);
    expect(s!.specs[0]!.error).to.match(/exactly 5 fields/);
    expect(s!.specs[0]!.next).to.equal(null);
    e.t.clock.advance(HOUR);
    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(1);
  });

  it('a scheduled workflow that fails to plan is disabled with a readable reason; the other schedules still fire', async () => {
    const repo = e.host.repo('alice/app', 1);
    const broken = `on:\n  schedule: [{ cron: '*/5 * * * *' }]\njobs:\n  a:\n    runs-on: ubuntu\n    needs: [a]\n    steps: [{ run: x }]\n`;
    await e.push(repo, { '.forgejo/workflows/broken.yml': broken, '.forgejo/workflows/good.yml': scheduled('*/5 * * * *') });
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    let runs = await scheduleRuns(e.knex);
    expect(runs.map((r) => r.workflow_id).sort()).to.deep.equal(['broken.yml', 'good.yml']);
    const list = await e.t.plugin.service.schedules.list(repo.id);
    const reason = list.find((s) => s.workflow_id === 'broken.yml')!.disabled_reason;
    expect(reason).to.match(/^scheduled run failed: .+/);
    expect(list.find((s) => s.workflow_id === 'good.yml')!.disabled_reason).to.equal('');
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    runs = await scheduleRuns(e.knex);
    expect(runs.map((r) => r.workflow_id).sort()).to.deep.equal(['broken.yml', 'good.yml', 'good.yml']);

    // a fixed file lifts the automatic disabling
    await e.push(repo, { '.forgejo/workflows/broken.yml': scheduled('*/5 * * * *'), '.forgejo/workflows/good.yml': scheduled('*/5 * * * *') });
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    expect((await scheduleRuns(e.knex)).filter((r) => r.workflow_id === 'broken.yml')).to.have.length(2);
  });

  it('a scheduled workflow whose concurrency group cannot be evaluated is disabled with the reason, and no run is written', async () => {
    const repo = e.host.repo('alice/app', 1);
    const bad = `on:\n  schedule: [{ cron: '*/5 * * * *' }]\nconcurrency:\n  group: \${{ fromJSON('{bad') }}\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n`;
    await e.push(repo, { '.forgejo/workflows/bad.yml': bad, '.forgejo/workflows/good.yml': scheduled('*/5 * * * *') });
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    expect((await scheduleRuns(e.knex)).map((r) => r.workflow_id)).to.deep.equal(['good.yml']);
    const reason = (await e.t.plugin.service.schedules.list(repo.id)).find((s) => s.workflow_id === 'bad.yml')!.disabled_reason;
    expect(reason).to.match(/concurrency/);
  });

  it('a scheduled workflow that no longer parses stays listed, disabled with the parser\'s reason, and the others fire', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/a.yml': scheduled('*/5 * * * *'), '.forgejo/workflows/b.yml': scheduled('*/5 * * * *') });
    await e.push(repo, { '.forgejo/workflows/a.yml': 'on: [schedule\njobs: {', '.forgejo/workflows/b.yml': scheduled('*/5 * * * *') });
    const list = await e.t.plugin.service.schedules.list(repo.id);
    const a = list.find((s) => s.workflow_id === 'a.yml')!;
    expect(a.disabled_reason).to.match(/^workflow no longer parses: .+/);
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    expect((await scheduleRuns(e.knex)).map((r) => r.workflow_id)).to.deep.equal(['b.yml']);
  });

  it('archived or disabled repositories have no schedules; pending scheduled runs are cancelled', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/a.yml': scheduled('*/5 * * * *') });
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    const [run] = await scheduleRuns(e.knex);
    await e.t.plugin.hooks.repositoryUpdated({ repository: { ...repo, archived: true } });
    expect(await e.t.plugin.service.schedules.list(repo.id)).to.deep.equal([]);
    expect((await e.knex('action_run').where({ id: run!.id }).first()).status).to.equal(3);
    e.t.clock.advance(HOUR);
    await e.t.plugin.jobs.run('schedules');
    expect(await scheduleRuns(e.knex)).to.have.length(1);
    // un-archived: registered again from the default branch head
    await e.t.plugin.hooks.repositoryUpdated({ repository: { ...repo, archived: false } });
    expect(await e.t.plugin.service.schedules.list(repo.id)).to.have.length(1);
  });

  it('a changed default branch re-registers from the new branch and cancels the old branch\'s scheduled runs', async () => {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/a.yml': scheduled('*/5 * * * *') });
    e.t.clock.advance(5 * MINUTE);
    await e.t.plugin.jobs.run('schedules');
    const devSha = e.host.commit(repo, 'refs/heads/dev', { '.forgejo/workflows/b.yml': scheduled('0 * * * *') });
    await e.t.plugin.hooks.repositoryUpdated({ repository: { ...repo, default_branch: 'dev' } });
    const list = await e.t.plugin.service.schedules.list(repo.id);
    expect(list.map((s) => [s.workflow_id, s.ref, s.commit_sha, s.event])).to.deep.equal([['b.yml', 'dev', devSha, 'schedule']]);
    expect((await scheduleRuns(e.knex)).map((r) => r.status)).to.deep.equal([3]);
  });

  it('jobs.run refuses an unknown job name', async () => {
    let err: unknown;
    await e.t.plugin.jobs.run('nope').catch((x: unknown) => (err = x));
    expect(String(err)).to.match(/unknown job 'nope'/);
  });
});
