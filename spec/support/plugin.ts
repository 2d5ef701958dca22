// Builds a plugin instance on a fresh database for a test, with a movable clock.
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionsPlugin, type ActionsPlugin, type ActionsPluginOptions } from '../../lib/index.js';
import { freshDatabaseUrl, type DbKind } from './databases.js';

export const silentLogger = (() => {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
})();

/** A clock tests move by hand instead of sleeping. */
export class TestClock {
  private t: number;
  constructor(start = Date.parse('2026-01-05T10:00:00Z')) {
    this.t = start;
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(date: Date | number): void {
    this.t = typeof date === 'number' ? date : date.getTime();
  }
}

export interface TestServer {
  plugin: ActionsPlugin;
  app: express.Express;
  server: http.Server;
  /** base URL of the plugin mount, e.g. http://127.0.0.1:1234/actions */
  baseUrl: string;
  clock: TestClock;
  databaseUrl: string;
  close(): Promise<void>;
}

/** A plugin mounted at /actions on a real HTTP server, on a fresh database of `kind`. */
export async function startTestServer(kind: DbKind, options: ActionsPluginOptions = {}): Promise<TestServer> {
  const databaseUrl = (options.database as string | undefined) ?? (await freshDatabaseUrl(kind));
  const clock = (options.clock as TestClock | undefined) ?? new TestClock();
  const plugin = actionsPlugin({ cron: false, logger: silentLogger, clock, ...options, database: databaseUrl });
  await plugin.ready;
  const app = express();
  app.use('/actions', plugin);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    plugin,
    app,
    server,
    baseUrl: `http://127.0.0.1:${port}/actions`,
    clock,
    databaseUrl,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plugin.close();
    },
  };
}
