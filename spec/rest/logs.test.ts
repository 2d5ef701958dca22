import { expect } from 'chai';
import http from 'node:http';
import type { Request } from 'express';
import { forEachDatabase } from '../support/databases.js';
import { startPluginEnv, type PluginEnv } from '../support/env.js';
import { MemoryHost, pushPayload } from '../support/memory-host.js';
import { Result, type RunnerClient, type TaskReporter } from '../support/runner-client.js';
import { formatLine } from '../../lib/logs/format.js';

/** a host that lets every request read */
class ReadingHost extends MemoryHost {
  async authorize(_req: Request, need: string): Promise<boolean> {
    return need === 'read';
  }
}

const workflow = `
on: [push]
jobs:
  build:
    runs-on: ubuntu
    steps: [{ run: echo one }, { run: echo two }]
`;

/** a GET that is read as it arrives: `text` grows until `done` resolves with the whole body */
function follow(url: string): { text: () => string; done: Promise<{ status: number; body: string }> } {
  let body = '';
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get(url, { headers: { authorization: 'token test' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
  return { text: () => body, done };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

forEachDatabase('REST API: following a job log', (kind) => {
  let env: PluginEnv;
  let runner: RunnerClient;
  let jobId: number;
  let rep: TaskReporter;
  const time = Date.parse('2026-01-05T10:00:01Z');
  const line = (content: string) => formatLine(time, content);

  beforeEach(async () => {
    const host = new ReadingHost();
    env = await startPluginEnv(kind, 'rest-logs', { host });
    const repo = host.repo('alice/app', 1);
    const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': workflow });
    const run = (await env.server.plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha)))[0]!;
    jobId = (await env.server.plugin.service.runs.jobs(repo.id, run.id)).items[0]!.id;
    runner = await env.runner({ labels: ['ubuntu'] });
    const { tasks } = await runner.fetchTask();
    expect(tasks).to.have.length(1);
    rep = runner.reporter(tasks[0]!);
  });
  afterEach(() => env.close());

  const url = (query: string) => `${env.server.baseUrl}/api/v1/repos/alice/app/actions/jobs/${jobId}/logs?${query}`;
  const archived = async () => Boolean((await env.knex('action_task').where({ id: Number(rep.id) }).first('log_in_storage')).log_in_storage);

  it('sends every line exactly once across polls, also the lines archived between two polls', async () => {
    const whole = follow(url('follow=1'));
    const second = follow(url('follow=1&step=1'));
    rep.startStep(0);
    rep.log('a', time);
    rep.log('b', time);
    await rep.flush();
    await until('the first lines', () => whole.text() === line('a') + line('b'));
    rep.log('c', time);
    rep.endStep(0, Result.SUCCESS);
    rep.startStep(1);
    rep.log('d', time);
    await rep.flush();
    await until('the second batch', () => whole.text().endsWith(line('d')) && second.text() === line('d'));
    // the rest lands, the task finishes and its log is archived before the next poll: it is read from the archive
    rep.log('e', time);
    rep.log('f', time);
    rep.endStep(1, Result.SUCCESS);
    await rep.close(Result.SUCCESS);
    await until('the archival', archived);
    const [w, s] = await Promise.all([whole.done, second.done]);
    expect(w.status).to.equal(200);
    expect(w.body).to.equal(['a', 'b', 'c', 'd', 'e', 'f'].map(line).join(''));
    expect(s.body).to.equal(['d', 'e', 'f'].map(line).join(''));
    // a reader that comes later gets the same from the archive, whole or by step
    expect((await follow(url('follow=1')).done).body).to.equal(w.body);
    expect((await follow(url('step=0')).done).body).to.equal(['a', 'b', 'c'].map(line).join(''));
  });

  it('ends a follow when the job finishes and sends its last rows once', async () => {
    rep.startStep(0);
    rep.log('one', time);
    await rep.flush();
    const whole = follow(url('follow=true'));
    await until('the first line', () => whole.text() === line('one'));
    rep.log('two', time);
    rep.endStep(0, Result.SUCCESS);
    await rep.close(Result.FAILURE);
    expect((await whole.done).body).to.equal(line('one') + line('two'));
  });
});
