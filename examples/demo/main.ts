// `npm start`: an example forge with the plugin mounted at /actions on the
// embedded SQLite default, a sample repository, the shell runner, and a push
// that runs to green. It prints the run's progress and each job's log lines as
// they arrive, then keeps serving so a real forgejo-runner can connect too.
//
// Environment (the demo's own, the plugin reads none): PORT (3000),
// DEMO_DATA (./data), DEMO_EXIT=1 to stop once the run is done.
import express from 'express';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { actionsPlugin, gitHost, type Repository, type Job } from '../../lib/index.js';
import { ShellRunner } from '../runner/shell-runner.js';
import { pushDemoCommit } from './sample-repo.js';

const dataDir = path.resolve(process.env.DEMO_DATA ?? './data');
const root = path.join(dataDir, 'repos');

// listen first, so that PORT=0 (a free port, for tests) gives the URLs to hand out
const app = express();
const server = app.listen(Number(process.env.PORT ?? 3000));
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const port = (server.address() as AddressInfo).port;
const publicUrl = `http://localhost:${port}/`;

const repo: Repository = {
  id: 1,
  name: 'hello',
  full_name: 'demo/hello',
  owner: { id: 1, login: 'demo', type: 'User' },
  default_branch: 'main',
  private: false,
  fork: false,
  archived: false,
  clone_url: `${publicUrl}demo/hello.git`,
  html_url: `${publicUrl}demo/hello`,
};

const isLoopback = (ip: string | undefined) => !!ip && /^(127\.|::1$|::ffff:127\.)/.test(ip);

const plugin = actionsPlugin({
  database: `sqlite:${path.join(dataDir, 'actions.sqlite')}`,
  logDir: path.join(dataDir, 'logs'),
  publicUrl,
  logger: pino({ level: 'warn' }),
  host: gitHost({
    root,
    extend: {
      getRepository: async (fullName) => (fullName === repo.full_name ? repo : null),
      // the demo forge trusts its own machine; a real forge checks its users here
      authorize: async (req) => isLoopback(req.socket.remoteAddress),
      createCommitStatus: async (_r, sha, s) => console.log(`  commit status ${sha.slice(0, 7)} ${s.context}: ${s.state} (${s.description})`),
    },
  }),
});

app.use('/actions', plugin);
app.get('/', (_req, res) => {
  res.type('text/plain').send(`forge-actions demo forge\n\nruns: ${publicUrl}actions/api/v1/repos/demo/hello/actions/runs\n`);
});
await plugin.ready;
console.log(`forge-actions demo forge on ${publicUrl} (plugin at ${publicUrl}actions, data in ${dataDir})`);

const registrationToken = await plugin.service.runners.registrationToken({});
const printed = new Map<number, number>();
const runner = await ShellRunner.start({ baseUrl: `http://127.0.0.1:${port}/actions`, registrationToken, labels: ['host'], name: 'demo-shell-runner' });
console.log(`shell runner registered with labels [host]`);

const pushed = pushDemoCommit(root, repo.owner.login, repo.name);
console.log(`pushed ${pushed.after.slice(0, 7)} to demo/hello main: "${pushed.message}"`);
const [run] = await plugin.hooks.push({
  ref: pushed.ref,
  before: pushed.before,
  after: pushed.after,
  repository: repo,
  sender: { id: 1, login: 'demo' },
  pusher: { id: 1, login: 'demo' },
  head_commit: { id: pushed.after, message: pushed.message, timestamp: new Date().toISOString(), added: pushed.added, removed: [], modified: pushed.modified },
  commits: [{ id: pushed.after, message: pushed.message, added: pushed.added, removed: [], modified: pushed.modified }],
});
if (!run) throw new Error('the push created no run');
console.log(`run #${run.run_number} (id ${run.id}) created: ${run.workflow_id}`);

const statusOf = new Map<number, string>();
const printJob = async (job: Job) => {
  if (statusOf.get(job.id) !== job.status) {
    statusOf.set(job.id, job.status);
    console.log(`[${job.name}] ${job.status}${job.waiting_reason && job.status !== 'running' ? ` (${job.waiting_reason})` : ''}`);
  }
  const from = printed.get(job.id) ?? 0;
  const lines = await plugin.service.logs.job(job.id, { from });
  for (const l of lines) console.log(`[${job.name}] | ${l.content}`);
  printed.set(job.id, from + lines.length);
};

const done = new Set(['success', 'failure', 'cancelled', 'skipped']);
for (;;) {
  const { items } = await plugin.service.runs.jobs(repo.id, run.id);
  for (const job of items) await printJob(job);
  const current = await plugin.service.runs.get(repo.id, run.id);
  if (done.has(current.status)) {
    console.log(`run #${current.run_number} finished: ${current.status}`);
    console.log(`  run:  ${publicUrl}actions/api/v1/repos/demo/hello/actions/runs/${run.id}`);
    console.log(`  jobs: ${publicUrl}actions/api/v1/repos/demo/hello/actions/runs/${run.id}/jobs`);
    for (const job of items) console.log(`  log of ${job.name}: ${publicUrl}actions/api/v1/repos/demo/hello/actions/jobs/${job.id}/logs`);
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}

if (process.env.DEMO_EXIT === '1') {
  await runner.stop();
  server.closeAllConnections();
  server.close();
  await plugin.close();
} else {
  console.log(`\nstill serving. To connect a real forgejo-runner in another terminal:`);
  console.log(`  forgejo-runner register --no-interactive --instance http://localhost:${port}/actions --token ${registrationToken} --labels host:host --name my-runner`);
  console.log(`  forgejo-runner daemon`);
  console.log(`then push again with: npm start (or call hooks.push). Ctrl-C stops the demo.`);
}
