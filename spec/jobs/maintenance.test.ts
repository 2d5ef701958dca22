import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { forEachDatabase } from '../support/databases.js';
import { readTaskLog } from '../../lib/logs/index.js';
import { archiveFinishedTaskLog } from '../../lib/logs/store.js';
import { startJobsEnv, chain, HOUR, type JobsEnv } from './helpers.js';
import { tempDir } from '../support/temp.js';

const DAY = 24 * HOUR;

forEachDatabase('jobs: logs, runners, reconciliation', (kind) => {
  let e: JobsEnv;
  beforeEach(async () => {
    e = await startJobsEnv(kind);
  });
  afterEach(() => e.close());

  async function runningTask(ephemeral = false) {
    const repo = e.host.repo('alice/app', 1);
    await e.push(repo, { '.forgejo/workflows/ci.yml': chain });
    const runner = await e.runner(['ubuntu'], ephemeral);
    const { tasks } = await runner.fetchTask();
    const rep = runner.reporter(tasks[0]!);
    rep.startStep(0);
    rep.log('line 1');
    rep.log('line 2');
    await rep.flush();
    return { runner, rep, taskId: Number(tasks[0]!.id) };
  }

  it('a finished task\'s lingering log is archived a day after its last update', async () => {
    const { taskId } = await runningTask();
    // a crash between the final result and the archival: done, rows still in the database
    await e.knex('action_task').where({ id: taskId }).update({ status: 1, stopped: e.t.clock.now().getTime() });
    e.t.clock.advance(23 * HOUR);
    await e.t.plugin.jobs.run('logs');
    expect(!!(await e.knex('action_task').where({ id: taskId }).first()).log_in_storage).to.equal(false);
    e.t.clock.advance(2 * HOUR);
    await e.t.plugin.jobs.run('logs');
    const task = await e.knex('action_task').where({ id: taskId }).first();
    expect(!!task.log_in_storage).to.equal(true);
    expect(await e.knex('action_log_row').where({ task_id: taskId })).to.have.length(0);
    expect((await readTaskLog(e.deps, taskId)).map((l) => l.content)).to.deep.equal(['line 1', 'line 2']);
  });

  // the archival runs after the commit that finished the task, so it must be safe against what can
  // happen in between: rows that arrive late, a second archiver, a file left by an earlier attempt
  async function finishedUnarchived() {
    const { taskId } = await runningTask();
    await e.knex('action_task').where({ id: taskId }).update({ status: 1, stopped: e.t.clock.now().getTime() });
    const row = (await e.knex('action_task').where({ id: taskId }).first()) as { id: number; log_filename: string; log_length: number };
    return { ...row, log_in_storage: false };
  }

  it('a finished task whose log grew after it was read is not archived, and keeps every row', async () => {
    const task = await finishedUnarchived();
    // a late batch: its row is there, the task does not count it yet (every attempt reads the task again)
    await e.knex('action_log_row').insert({ task_id: task.id, index: 2, time: 1, content: 'late line' });
    expect(await archiveFinishedTaskLog(e.deps, task)).to.equal(false);
    expect(!!(await e.knex('action_task').where({ id: task.id }).first()).log_in_storage).to.equal(false);
    expect(await e.knex('action_log_row').where({ task_id: task.id })).to.have.length(3);
    // once the batch is counted, an archival with the task as read before it takes all three
    await e.knex('action_task').where({ id: task.id }).update({ log_length: 3 });
    expect(await archiveFinishedTaskLog(e.deps, task)).to.equal(true);
    expect((await readTaskLog(e.deps, task.id)).map((l) => l.content)).to.deep.equal(['line 1', 'line 2', 'late line']);
  });

  it('a second archival of the same log changes nothing and never empties the archive', async () => {
    const task = await finishedUnarchived();
    expect(await archiveFinishedTaskLog(e.deps, task)).to.equal(true);
    const file = path.join(e.logDir, task.log_filename);
    const archived = fs.readFileSync(file);
    // a second archiver that read the task before the first one finished: its rows are gone now
    expect(await archiveFinishedTaskLog(e.deps, task)).to.equal(false);
    expect(fs.readFileSync(file).equals(archived)).to.equal(true);
    expect((await readTaskLog(e.deps, task.id)).map((l) => l.content)).to.deep.equal(['line 1', 'line 2']);
  });

  it('a log longer than one read is archived page by page, every line once, in order', async () => {
    const task = await finishedUnarchived();
    const extra = Array.from({ length: 12_345 }, (_, i) => ({ task_id: task.id, index: 2 + i, time: 1_767_607_200_000 + i, content: `extra ${i}` }));
    for (let i = 0; i < extra.length; i += 400) await e.knex('action_log_row').insert(extra.slice(i, i + 400));
    await e.knex('action_task').where({ id: task.id }).update({ log_length: 2 + extra.length });
    expect(await archiveFinishedTaskLog(e.deps, { ...task, log_length: 2 + extra.length })).to.equal(true);
    const lines = (await readTaskLog(e.deps, task.id)).map((l) => l.content);
    expect(lines).to.have.length(2 + extra.length);
    expect(lines.slice(0, 3)).to.deep.equal(['line 1', 'line 2', 'extra 0']);
    expect(lines[lines.length - 1]).to.equal(`extra ${extra.length - 1}`);
    const stored = (await e.knex('action_task').where({ id: task.id }).first()) as { log_size: number; log_length: number };
    expect(Number(stored.log_length)).to.equal(2 + extra.length);
    expect(await e.knex('action_log_row').where({ task_id: task.id })).to.have.length(0);
  });

  it('an archive left by an earlier, interrupted attempt is replaced whole', async () => {
    const task = await finishedUnarchived();
    const file = path.join(e.logDir, task.log_filename);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'half a gzip stream');
    expect(await archiveFinishedTaskLog(e.deps, task)).to.equal(true);
    expect((await readTaskLog(e.deps, task.id)).map((l) => l.content)).to.deep.equal(['line 1', 'line 2']);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('logs older than the retention are removed and the task marked expired', async () => {
    const { rep, taskId } = await runningTask();
    await rep.close(1);
    // stopped is the runner's wall clock; pin it to the test clock
    await e.knex('action_task').where({ id: taskId }).update({ stopped: e.t.clock.now().getTime() });
    const task = await e.knex('action_task').where({ id: taskId }).first();
    const file = path.join(e.logDir, task.log_filename);
    expect(fs.existsSync(file)).to.equal(true);
    e.t.clock.advance(364 * DAY);
    await e.t.plugin.jobs.run('logs');
    expect(fs.existsSync(file)).to.equal(true);
    e.t.clock.advance(2 * DAY);
    await e.t.plugin.jobs.run('logs');
    expect(fs.existsSync(file)).to.equal(false);
    expect(!!(await e.knex('action_task').where({ id: taskId }).first()).log_expired).to.equal(true);
  });

  it('ephemeral runners with a finished task are removed; others stay', async () => {
    const { runner, taskId } = await runningTask(true);
    const keeper = await e.runner(['other'], false);
    await e.t.plugin.jobs.run('runners');
    expect(Number((await e.knex('action_runner').where({ id: runner.creds.id }).first()).deleted)).to.equal(0);
    // the task ended without the runner being deleted (a crash in between)
    await e.knex('action_task').where({ id: taskId }).update({ status: 1 });
    await e.t.plugin.jobs.run('runners');
    const row = await e.knex('action_runner').where({ id: runner.creds.id }).first();
    expect(Number(row.deleted)).to.be.greaterThan(0);
    expect(row.uuid).to.match(/^ffffffff-ffff-ffff-/);
    expect(Number((await e.knex('action_runner').where({ id: keeper.creds.id }).first()).deleted)).to.equal(0);
  });

  it('reconcile: a job whose task finished takes its result and its dependents move; a stuck blocked job is released', async () => {
    const { taskId } = await runningTask();
    // a lost write: the task finished, its job and run never heard of it
    await e.knex('action_task').where({ id: taskId }).update({ status: 1, stopped: e.t.clock.now().getTime() });
    await e.t.plugin.jobs.run('reconcile');
    let jobs = (await e.knex('action_run_job').orderBy('id')) as Array<{ status: number; run_id: number }>;
    expect(jobs.map((j) => j.status)).to.deep.equal([1, 5]);

    // a blocked job whose need is done, and a run status that is not its jobs' aggregate
    const repo = e.host.repo('bob/lib', 2);
    await e.push(repo, { '.forgejo/workflows/ci.yml': chain });
    const [a] = (await e.knex('action_run_job').where({ repo_id: 2 }).orderBy('id')) as Array<{ id: number; run_id: number }>;
    await e.knex('action_run_job').where({ id: a!.id }).update({ status: 1 });
    await e.t.plugin.jobs.run('reconcile');
    jobs = (await e.knex('action_run_job').where({ repo_id: 2 }).orderBy('id')) as Array<{ status: number; run_id: number }>;
    expect(jobs.map((j) => j.status)).to.deep.equal([1, 5]);
    expect(((await e.knex('action_run').where({ id: a!.run_id }).first()) as { status: number }).status).to.equal(5);
    // a consistent database: nothing to do
    const before = await e.knex('action_run').orderBy('id').select('id', 'status', 'version');
    await e.t.plugin.jobs.run('reconcile');
    expect(await e.knex('action_run').orderBy('id').select('id', 'status', 'version')).to.deep.equal(before);
  });
});

describe('jobs: archived log streaming', () => {
  it('streams a range of lines or bytes of an archive, and fails for a missing one', async () => {
    const { writeArchive, formatLine } = await import('../../lib/logs/index.js');
    const { streamArchive } = await import('../../lib/logs/stream.js');
    const dir = tempDir('stream');
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ time: 1_767_607_200_000 + i, content: `line ${i} ${'x'.repeat(i % 50)}` }));
    await writeArchive(dir, 'o/r/01/1.log.gz', rows);
    const text = rows.map((r) => formatLine(r.time, r.content)).join('');
    const read = async (s: NodeJS.ReadableStream) => {
      const parts: Buffer[] = [];
      for await (const c of s) parts.push(c as Buffer);
      return Buffer.concat(parts).toString('utf8');
    };
    expect(await read(streamArchive(dir, 'o/r/01/1.log.gz'))).to.equal(text);
    expect(await read(streamArchive(dir, 'o/r/01/1.log.gz', { fromLine: 1000, toLine: 31_000 }))).to.equal(rows.slice(1000, 31_000).map((r) => formatLine(r.time, r.content)).join(''));
    expect(await read(streamArchive(dir, 'o/r/01/1.log.gz', { fromLine: 49_999 }))).to.equal(formatLine(rows[49_999]!.time, rows[49_999]!.content));
    const buf = Buffer.from(text);
    expect(await read(streamArchive(dir, 'o/r/01/1.log.gz', { fromByte: 70_000, toByte: 500_123 }))).to.equal(buf.subarray(70_000, 500_123).toString('utf8'));
    let err: unknown;
    await read(streamArchive(dir, 'o/r/01/2.log.gz')).catch((x: unknown) => (err = x));
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
