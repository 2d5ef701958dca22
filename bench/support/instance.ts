// One plugin instance in its own process for the chaos run and the soak.
// argv[2] is a JSON config: database URL, port, shared log dir, the host
// recipe, and the virtual clock offset. It prints {"port":N} once it listens
// and exits when stdin closes, so no instance outlives the parent. Beside the
// plugin it serves /chaos/* hooks so the parent can push events, move the
// clock and run schedule passes through any live instance.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { actionsPlugin } from '../../lib/index.js';
import { openDatabase } from '../../lib/db.js';
import { fireDueSchedules } from '../../lib/schedules/index.js';
import { testDeps } from '../../spec/support/fixtures.js';
import { silentLogger } from '../../spec/support/plugin.js';
import { buildHost, type HostKind } from './host.js';

interface InstanceConfig {
  url: string;
  port: number;
  logDir: string;
  kind: HostKind;
  pushes: number;
  offset: number;
  name: string;
}

const cfg = JSON.parse(process.argv[2]!) as InstanceConfig;
// virtual time = real time + offset: the parent moves it forward so that schedule occurrences fall due
let offset = cfg.offset;
const clock = { now: () => new Date(Date.now() + offset) };
const h = buildHost(cfg.kind, cfg.pushes);
const logger = process.env.CHAOS_DEBUG ? { ...silentLogger, warn: console.error, error: console.error } : silentLogger;
const plugin = actionsPlugin({ database: cfg.url, cron: false, host: h.host, clock, logger, logDir: cfg.logDir, instanceId: cfg.name });
await plugin.ready;

// a second way into the schedule pass that skips the lease: a killed lease
// holder blocks lease-guarded passes for the lease's TTL, and the occurrence
// claim alone must keep racing passes from firing an occurrence twice
const db = openDatabase(cfg.url);
const direct = Object.assign(testDeps(db.knex, db.dialect, { logDir: cfg.logDir }), { host: h.host, clock, logger });
direct.config = { ...direct.config, logDir: cfg.logDir, instanceId: `${cfg.name}-direct` };

const app = express();
app.use(express.json());
app.post('/chaos/push', async (req, res) => {
  const seq = Number((req.body as { seq: number }).seq);
  const payload = seq < 0 ? h.cronPayload() : h.pushPayload(seq);
  const runs = await plugin.hooks.push(payload, { deliveryId: `chaos-push-${seq}` });
  res.json({ runs: runs.length });
});
app.post('/chaos/clock', (req, res) => {
  offset = Number((req.body as { offset: number }).offset);
  res.json({ offset });
});
app.post('/chaos/schedules', async (_req, res) => {
  await plugin.jobs.run('schedules');
  const r = await fireDueSchedules(direct);
  res.json(r);
});
app.post('/chaos/rss', (_req, res) => {
  // a collection first, so the figure is what is retained rather than when the GC last ran
  (globalThis as { gc?: () => void }).gc?.();
  res.json({ rss: process.memoryUsage().rss });
});
app.use('/actions', plugin);
app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).json({ message: err instanceof Error ? err.message : String(err) });
});
const server = http.createServer(app);
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(cfg.port, '127.0.0.1', resolve);
});
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
const stop = async () => {
  server.closeAllConnections();
  server.close();
  await plugin.close();
  await db.knex.destroy();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
