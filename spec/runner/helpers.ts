// One plugin on a fresh database per test suite, with a Knex of its own for
// fixtures and checks, and a Deps for calling the runner service functions.
import type { Knex } from 'knex';
import type { DbKind } from '../support/databases.js';
import { startPluginEnv, type PluginEnv } from '../support/env.js';
import { hashToken } from '../../lib/tokens.js';

export interface Env extends PluginEnv {
  baseUrl: string;
}

export async function startEnv(kind: DbKind): Promise<Env> {
  const debug = process.env.DEBUG_RUNNER_SPEC ? { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } : undefined;
  const env = await startPluginEnv(kind, 'logs', debug ? { logger: debug } : {});
  return { ...env, baseUrl: env.server.baseUrl };
}

/** the task token as the runner received it must be the one whose hash the task row holds */
export async function tokenIsCurrent(knex: Knex, taskId: bigint, token: string): Promise<boolean> {
  const row = (await knex('action_task').where({ id: Number(taskId) }).first('token_hash')) as { token_hash: string } | undefined;
  return row?.token_hash === hashToken(token);
}

export async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<{ code: string; message: string }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected a ${code} error, the call succeeded`);
  const { ConnectError, Code } = await import('@connectrpc/connect');
  const ce = ConnectError.from(err);
  const name = Code[ce.code].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  if (name !== code) throw new Error(`expected ${code}, got ${name}: ${ce.rawMessage}`);
  if (message && !message.test(ce.rawMessage)) throw new Error(`message ${JSON.stringify(ce.rawMessage)} does not match ${message}`);
  return { code: name, message: ce.rawMessage };
}
