import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { forEachDatabase } from '../support/databases.js';
import { insertRun } from '../support/fixtures.js';
import { Result, type RunnerClient, type Task } from '../support/runner-client.js';
import { LogRowSchema, StepStateSchema, TaskStateSchema } from '../../proto/gen/runner/v1/messages_pb.js';
import { readTaskLog, readTaskLogText } from '../../lib/logs/index.js';
import { startEnv, expectCode, type Env } from './helpers.js';

forEachDatabase('runner protocol: UpdateTask and UpdateLog', (kind) => {
  let env: Env;
  let repo = 500;
  before(async () => (env = await startEnv(kind)));
  after(async () => env.close());

  async function oneTask(steps?: Array<Record<string, unknown>>): Promise<{ c: RunnerClient; task: Task; runId: number; jobId: number }> {
    const r = ++repo;
    const c = await env.runner({ scope: { repoId: r } });
    const { run, jobs } = await insertRun(env.knex, env.dialect, { repoId: r, fullName: `o/r${r}`, jobs: [{ job_id: 'j', steps }] });
    const { tasks } = await c.fetchTask();
    expect(tasks).to.have.length(1);
    return { c, task: tasks[0]!, runId: run.id, jobId: jobs[0]!.id };
  }

  const row = (content: string, ms = Date.parse('2026-01-05T10:00:01.234Z')) => create(LogRowSchema, { time: timestampFromMs(ms), content });

  it('UpdateLog stores rows by index: retried, overlapping and gapped batches never duplicate a line', async () => {
    const { c, task } = await oneTask();
    const send = (index: number, rows: string[]) => c.rpc.updateLog({ taskId: task.id, index: BigInt(index), rows: rows.map((x) => row(x)) }, { headers: c.headers() });
    expect((await send(0, ['a', 'b', 'c'])).ackIndex).to.equal(3n);
    expect((await send(0, ['a', 'b', 'c'])).ackIndex).to.equal(3n);
    expect((await send(2, ['c', 'd', 'e'])).ackIndex).to.equal(5n);
    expect((await send(9, ['gap'])).ackIndex).to.equal(5n);
    expect((await send(5, [])).ackIndex).to.equal(5n);
    const rows = await env.knex('action_log_row').where({ task_id: Number(task.id) }).orderBy('index');
    expect(rows.map((r: { content: string }) => r.content)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    const t = await env.knex('action_task').where({ id: Number(task.id) }).first();
    expect(t.log_length).to.equal(5);
    // the reader serves the rows of a running task from the database
    expect((await readTaskLog(env.deps, Number(task.id))).map((l) => l.content)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });

  it('UpdateTask heartbeats keep the task running and record steps; the final report finishes task, job and run and archives the log', async () => {
    const { c, task, runId, jobId } = await oneTask([{ name: 'one', run: 'a' }, { name: 'two', run: 'b' }]);
    const rep = c.reporter(task);
    rep.startStep(0);
    rep.log('hello\nworld', Date.parse('2026-01-05T10:00:02.5Z'));
    rep.log('x'.repeat(70_000));
    rep.endStep(0, Result.SUCCESS);
    rep.startStep(1);
    rep.log('second step');
    const beat = await rep.flush();
    expect(beat.state!.result).to.equal(Result.UNSPECIFIED);
    const steps = await env.knex('action_task_step').where({ task_id: Number(task.id) }).orderBy('index');
    expect(steps.map((s: { status: number; log_index: number; log_length: number }) => [s.status, s.log_index, s.log_length])).to.deep.equal([
      [1, 0, 2],
      [6, 2, 1],
    ]);
    expect((await readTaskLog(env.deps, Number(task.id), { step: 1 })).map((l) => l.content)).to.deep.equal(['second step']);
    rep.endStep(1, Result.SUCCESS);
    rep.setOutput('answer', '42');
    const done = await rep.close(Result.SUCCESS);
    expect(done.state!.result).to.equal(Result.SUCCESS);
    expect(done.sentOutputs).to.deep.equal(['answer']);
    const t = await env.knex('action_task').where({ id: Number(task.id) }).first();
    expect(t.status).to.equal(1);
    expect(Boolean(t.log_in_storage)).to.equal(true);
    expect((await env.knex('action_run_job').where({ id: jobId }).first()).status).to.equal(1);
    expect((await env.knex('action_run').where({ id: runId }).first()).status).to.equal(1);
    expect(await env.knex('action_log_row').where({ task_id: Number(task.id) })).to.have.length(0);
    const file = path.join(env.logDir, t.log_filename);
    expect(file.endsWith('.log.gz')).to.equal(true);
    const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
    const lines = text.split('\n');
    expect(lines[0]).to.equal('2026-01-05T10:00:02.5000000Z hello\\nworld');
    expect(Buffer.byteLength(lines[1]!)).to.equal('2026-01-05T10:00:02.5000000Z '.length + 65_536);
    expect(lines).to.have.length(4); // three lines and the final newline
    // the reader serves the archive once the task is finished, whole or by step
    expect(await readTaskLogText(env.deps, Number(task.id))).to.equal(text);
    expect((await readTaskLog(env.deps, Number(task.id), { step: 0 })).map((l) => l.content.slice(0, 5))).to.deep.equal(['hello', 'xxxxx']);
    // later rows are refused, later state is ignored
    await expectCode(
      c.rpc.updateLog({ taskId: task.id, index: 3n, rows: [row('late')] }, { headers: c.headers() }),
      'already_exists',
      /^log file has been archived$/,
    );
    const again = await c.rpc.updateTask({ state: { id: task.id, result: Result.FAILURE } }, { headers: c.headers() });
    expect(again.state!.result).to.equal(Result.SUCCESS);
    expect((await env.knex('action_task').where({ id: Number(task.id) }).first()).status).to.equal(1);
  });

  it('a heartbeat reads its job only along with its task, and a finishing ephemeral runner is not read again', async () => {
    const r = ++repo;
    const c = await env.runner({ scope: { repoId: r }, ephemeral: true });
    await insertRun(env.knex, env.dialect, { repoId: r, fullName: `o/r${r}`, jobs: [{ job_id: 'j' }] });
    const { tasks } = await c.fetchTask();
    expect(tasks).to.have.length(1);
    const rep = c.reporter(tasks[0]!);
    const byId = (table: string) => new RegExp(`from [\`"]?${table}[\`"]? where [\`"]?id[\`"]? = (\\?|\\$1)`, 'i');
    const record = async <T>(call: () => Promise<T>): Promise<{ result: T; queries: string[] }> => {
      const queries: string[] = [];
      const listener = (q: { sql: string }) => queries.push(q.sql);
      env.knex.on('query', listener);
      try {
        return { result: await call(), queries };
      } finally {
        env.knex.off('query', listener);
      }
    };
    const beat = await record(() => rep.sendState());
    expect(beat.result.state!.result).to.equal(Result.UNSPECIFIED);
    expect(beat.queries.some((q) => /join [`"]?action_run_job/i.test(q))).to.equal(true);
    expect(beat.queries.filter((q) => byId('action_run_job').test(q))).to.deep.equal([]);
    const done = await record(() => rep.close(Result.SUCCESS));
    expect(done.result.state!.result).to.equal(Result.SUCCESS);
    expect(done.queries.filter((q) => byId('action_runner').test(q))).to.deep.equal([]);
    expect(Number((await env.knex('action_runner').where({ id: c.creds.id }).first('deleted')).deleted)).to.be.greaterThan(0);
  });

  it('outputs: first write wins, Forgejo limits apply, sent_outputs lists every stored key', async () => {
    const { c, task } = await oneTask();
    const send = (outputs: Record<string, string>) => c.rpc.updateTask({ state: { id: task.id }, outputs }, { headers: c.headers() });
    expect((await send({ a: '1', ['k'.repeat(256)]: 'too long key', big: 'v'.repeat(1024 * 1024 + 1) })).sentOutputs).to.deep.equal(['a']);
    expect((await send({ a: '2', b: '3' })).sentOutputs).to.deep.equal(['a', 'b']);
    const rows = await env.knex('action_task_output').where({ task_id: Number(task.id) }).orderBy('output_key');
    expect(rows.map((r: { output_key: string; output_value: string }) => [r.output_key, r.output_value])).to.deep.equal([
      ['a', '1'],
      ['b', '3'],
    ]);
  });

  it('a task whose job was cancelled is answered with cancelled, and its log is closed', async () => {
    const { c, task, jobId } = await oneTask();
    await env.knex('action_run_job').where({ id: jobId }).update({ status: 3 });
    const rep = c.reporter(task);
    rep.log('still running');
    expect(await rep.sendLogs()).to.equal(1n);
    const res = await rep.sendState();
    expect(res.state!.result).to.equal(Result.CANCELLED);
    expect(rep.cancelled).to.equal(true);
    const t = await env.knex('action_task').where({ id: Number(task.id) }).first();
    expect(t.status).to.equal(3);
    expect(Boolean(t.log_in_storage)).to.equal(true);
    rep.log('after the cancel');
    await expectCode(rep.sendLogs(), 'already_exists');
    expect((await readTaskLog(env.deps, Number(task.id))).map((l) => l.content)).to.deep.equal(['still running']);
  });

  it('error paths: missing state, unknown task, another runner\'s task, bad values', async () => {
    const { c, task } = await oneTask();
    const other = await env.runner({ scope: { repoId: ++repo } });
    const h = c.headers();
    await expectCode(c.rpc.updateTask({}, { headers: h }), 'invalid_argument', /missing state/);
    await expectCode(c.rpc.updateTask({ state: { id: 999_999n } }, { headers: h }), 'internal', /^update task: resource does not exist$/);
    await expectCode(other.rpc.updateTask({ state: { id: task.id } }, { headers: other.headers() }), 'internal', /^update task: invalid runner for task$/);
    await expectCode(c.rpc.updateTask({ state: { id: task.id, result: 9 as Result } }, { headers: h }), 'invalid_argument', /result/);
    const badStep = create(TaskStateSchema, { id: task.id, steps: [create(StepStateSchema, { id: 0n, logIndex: -1n })] });
    await expectCode(c.rpc.updateTask({ state: badStep }, { headers: h }), 'invalid_argument', /log_index/);
    const absurd = create(TaskStateSchema, { id: task.id, result: Result.SUCCESS, stoppedAt: { seconds: 99_999_999_999n, nanos: 0 } });
    await expectCode(c.rpc.updateTask({ state: absurd }, { headers: h }), 'invalid_argument', /stopped_at/);
    await expectCode(c.rpc.updateLog({ taskId: 999_999n, index: 0n, rows: [row('x')] }, { headers: h }), 'internal', /^get task: task with id 999999: resource does not exist$/);
    await expectCode(other.rpc.updateLog({ taskId: task.id, index: 0n, rows: [row('x')] }, { headers: other.headers() }), 'internal', /^invalid runner for task$/);
    await expectCode(c.rpc.updateLog({ taskId: task.id, index: -1n, rows: [row('x')] }, { headers: h }), 'invalid_argument', /index/);
    await expectCode(c.rpc.updateLog({ taskId: task.id, index: 0n, rows: [row('x', Date.UTC(1970, 0, 2))] }, { headers: h }), 'invalid_argument', /time/);
    const huge = Array.from({ length: 100_001 }, () => create(LogRowSchema, { content: '' }));
    await expectCode(c.rpc.updateLog({ taskId: task.id, index: 0n, rows: huge }, { headers: h }), 'invalid_argument', /rows/);
    // nothing of the refused calls was written
    const t = await env.knex('action_task').where({ id: Number(task.id) }).first();
    expect([t.status, t.log_length]).to.deep.equal([6, 0]);
    expect(await env.knex('action_task_step').where({ task_id: Number(task.id) }).whereNot({ log_index: 0 })).to.have.length(0);
  });
});
