// A plugin on a real HTTP server whose host authorizes every REST call, whose
// logger output is kept for inspection, and a Knex of its own for fixtures:
// the security checks drive it with the real protocol client.
import type { DbKind } from '../support/databases.js';
import { startPluginEnv, type PluginEnv } from '../support/env.js';

export interface SecurityEnv extends PluginEnv {
  /** every logger call, serialised (errors with message and stack) */
  logs: string[];
  /** a REST call as an admin of everything (the host's authorize says yes) */
  rest(method: string, route: string, body?: unknown): Promise<{ status: number; text: string }>;
}

function serialise(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { message: x.message, stack: x.stack, cause: x.cause } : typeof x === 'bigint' ? String(x) : x));
}

export async function startSecurityEnv(kind: DbKind): Promise<SecurityEnv> {
  const logs: string[] = [];
  const keep = (...args: unknown[]) => void logs.push(serialise(args));
  const env = await startPluginEnv(kind, 'security', {
    logger: { trace: keep, debug: keep, info: keep, warn: keep, error: keep },
    host: { listFiles: async () => null, readFile: async () => null, authorize: async () => true },
  });
  return {
    ...env,
    logs,
    async rest(method, route, body) {
      const res = await fetch(`${env.server.baseUrl}/api/v1${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
  };
}
