// The plugin factory: validates options, builds the dependency object, and
// returns the Express router with the plugin's members. It is the composition
// root, so it is the one place in lib/ that wires routes/ (and jobs/) in.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import express from 'express';
import type { Router } from 'express';
import pino from 'pino';
import { parseOptions, type ActionsPluginOptions } from './options.js';
import { openDatabase, migrate, type Database } from './db.js';
import { gitHost } from './githost.js';
import type { Config, Deps } from './deps.js';
import type { Clock, TaskTokenInfo } from './types.js';
import { verifyTaskToken } from './task-token.js';
import { mountRoutes } from '../routes/index.js';
import { initKeys } from './keys.js';
import { createHooks, type Hooks } from './hooks.js';
import { createService, type Service } from './service.js';
import { createJobs, type JobScheduler, type Jobs } from '../jobs/index.js';
import { refreshSchedules } from './schedules/index.js';
import { closeSqliteReader } from '../models/sqlite-reader.js';

export interface ActionsPlugin extends Router {
  /** resolves when migrations ran and maintenance jobs are scheduled; rejects with the cause otherwise */
  ready: Promise<void>;
  /** `run`, `job` and `task` status changes, emitted after their transaction commits */
  events: EventEmitter;
  /** one async method per forge event; each resolves to the runs it created */
  hooks: Hooks;
  /** the programmatic API the REST routes are built on */
  service: Service;
  /** one pass of a maintenance job now (`schedules`, `zombies`, `endless`, `abandoned`, `logs`, `runners`, `reconcile`), lease-guarded */
  jobs: Jobs;
  /** resolves a task's automatic token (GITHUB_TOKEN) for the host's own API, or null */
  verifyTaskToken(token: string): Promise<TaskTokenInfo | null>;
  /** stops jobs and closes the database if the plugin opened it */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

const MINUTE = 60_000;

function buildConfig(o: ReturnType<typeof parseOptions>): Config {
  const publicUrl = (o.publicUrl ?? 'http://localhost:3000/').replace(/\/*$/, '/');
  const mountPath = (o.mountPath ?? '/actions').replace(/\/+$/, '') || '';
  return {
    publicUrl,
    mountPath,
    cron: o.cron ?? true,
    timeouts: {
      zombie: o.timeouts?.zombie ?? 10 * MINUTE,
      endless: o.timeouts?.endless ?? 3 * 60 * MINUTE,
      abandoned: o.timeouts?.abandoned ?? 24 * 60 * MINUTE,
      runnerOffline: o.timeouts?.runnerOffline ?? MINUTE,
    },
    logDir: o.logDir ?? './data/logs',
    logRetentionDays: o.logRetentionDays ?? 365,
    serverVersion: o.serverVersion ?? '11.0.0+forge-actions',
    defaultActionsUrl: o.defaultActionsUrl ?? 'https://data.forgejo.org',
    instanceId: o.instanceId ?? `${os.hostname()}:${process.pid}`,
    secretKey: o.secretKey,
  };
}

export function actionsPlugin(options?: ActionsPluginOptions): ActionsPlugin {
  const o = parseOptions(options);
  const config = buildConfig(o);
  const logger = o.logger ?? pino({ name: 'forge-actions' });
  const events = new EventEmitter();
  // a listener-less 'error' event would throw; the host may subscribe to it
  events.on('error', () => {});

  let db: Database | undefined;
  let openError: unknown;
  try {
    // the factory is the one place that reads the environment
    db = openDatabase(o.database ?? (process.env.ACTIONS_DATABASE_URL || undefined));
  } catch (e) {
    openError = e;
  }

  const deps: Deps | undefined = db && {
    db,
    knex: db.knex,
    dialect: db.dialect,
    host: o.host ?? gitHost({ root: './data/repos' }),
    config,
    logger,
    clock: o.clock ?? systemClock,
    events,
  };

  const scheduler: JobScheduler | undefined = deps && createJobs(deps);
  const ready: Promise<void> = deps
    ? migrate(deps.db)
        .then(() => initKeys(deps))
        .then(() => {
          if (config.cron) scheduler!.start();
        })
    : Promise.reject(openError);
  // `ready` is awaited by the host; this branch only keeps an unobserved failure from crashing the process
  ready.catch((e: unknown) => logger.error({ err: e }, 'forge-actions failed to start'));

  const router = express.Router() as ActionsPlugin;
  const service = deps && createService(deps);
  if (deps && service) mountRoutes(router, deps, ready, service);
  else router.use((_req, res) => res.status(503).json({ message: 'actions plugin failed to start' }));

  router.ready = ready;
  router.events = events;
  const started = <T extends object>(build: (d: Deps) => T): T => {
    if (!deps) return new Proxy({} as T, { get: () => () => Promise.reject(openError) });
    const target = build(deps);
    // members are proxied rather than wrapped by hand so that new service methods need no wiring
    // every member waits for migrations first, so a host may call it right after construction
    return new Proxy(target, {
      get(t, prop, receiver) {
        const v = Reflect.get(t, prop, receiver) as unknown;
        if (typeof v === 'function') return async (...args: unknown[]) => (await ready, (v as (...a: unknown[]) => unknown).apply(t, args));
        if (v && typeof v === 'object') return started(() => v as object);
        return v;
      },
    });
  };
  router.hooks = started((d) => createHooks(d, { repositoryChanged: refreshSchedules }));
  router.service = started(() => service!);
  router.jobs = started((): Jobs => ({ run: (name: string) => scheduler!.run(name) }));
  router.verifyTaskToken = async (token: string) => (deps ? (await ready, verifyTaskToken(deps, token)) : null);
  router.close = async () => {
    await ready.catch(() => {});
    await scheduler?.stop();
    if (db) closeSqliteReader(db.knex);
    if (db?.owned) await db.knex.destroy();
  };
  return router;
}
