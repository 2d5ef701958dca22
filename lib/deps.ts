// The one dependency object the factory builds and hands down. Modules receive
// it (or the parts they need) instead of reading globals or process.env.
import type { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { Database, Dialect } from './db.js';
import type { Clock, HostAdapter, Logger } from './types.js';

export interface Config {
  /** the forge's external base URL, always with a trailing slash (context `server_url`) */
  publicUrl: string;
  /** where the router is mounted, without a trailing slash (e.g. /actions) */
  mountPath: string;
  cron: boolean;
  timeouts: { zombie: number; endless: number; abandoned: number; runnerOffline: number };
  logDir: string;
  logRetentionDays: number;
  serverVersion: string;
  defaultActionsUrl: string;
  instanceId: string;
  /** the secretKey option when given; otherwise generated once and kept in the database */
  secretKey?: string;
}

export interface Deps {
  db: Database;
  knex: Knex;
  dialect: Dialect;
  host: HostAdapter;
  config: Config;
  logger: Logger;
  clock: Clock;
  events: EventEmitter;
}

/** now() in unix milliseconds, the unit of every time column */
export function nowMs(deps: Pick<Deps, 'clock'>): number {
  return deps.clock.now().getTime();
}
