// One plugin instance in its own process on a shared database: prints
// {"port":N} once it listens, and exits when its stdin closes (the parent
// died or is done), so no instance outlives its test or benchmark.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { actionsPlugin } from '../../../lib/index.js';
import { silentLogger } from '../../support/plugin.js';
import { tempDir } from '../../support/temp.js';

const url = process.argv[2]!;
const logDir = process.argv[3] ?? tempDir('child-logs');
const logger = process.env.DEBUG_RUNNER_SPEC ? { ...silentLogger, warn: console.error, error: console.error } : silentLogger;
const plugin = actionsPlugin({ database: url, cron: false, logger, logDir });
await plugin.ready;
const app = express();
app.use('/actions', plugin);
const server = http.createServer(app);
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
const stop = async () => {
  server.closeAllConnections();
  server.close();
  await plugin.close();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
