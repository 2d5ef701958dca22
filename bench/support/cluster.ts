// What the chaos run and the soak share: instances as child processes on fixed
// ports (so a restarted instance is found where it was), a Connect transport
// that fails over between instances like a runner reconnecting, and a small
// JSON POST helper for the instances' /chaos hooks.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { RunnerService } from '../../proto/gen/runner/v1/services_pb.js';
import { RunnerClient, type RunnerCredentials } from '../../lib/client/runner-client.js';
import type { HostKind } from './host.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface InstanceSpec {
  url: string;
  port: number;
  logDir: string;
  kind: HostKind;
  pushes: number;
  name: string;
}

/** one instance process; `start` (re)spawns it on its port with the current clock offset */
export class InstanceProcess {
  child: ChildProcess | null = null;
  up = false;
  starts = 0;
  constructor(readonly spec: InstanceSpec) {}

  get origin(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }
  get baseUrl(): string {
    return `${this.origin}/actions`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(offset: number, nodeArgs: string[] = []): Promise<void> {
    this.starts++;
    const cfg = JSON.stringify({ ...this.spec, offset });
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(here, 'instance.ts'), cfg], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout! });
      rl.once('line', () => resolve());
      child.once('exit', (code, signal) => reject(new Error(`${this.spec.name} exited early (${code ?? signal})`)));
    });
    child.once('exit', () => {
      this.up = false;
    });
    this.up = true;
  }

  /** SIGKILL: no shutdown code runs, connections are cut mid-request */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.up = false;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.end();
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export async function post<T>(origin: string, route: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${origin}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** an error that says the instance is not there (refused, reset, hung up), not an answer from it */
function isUnreachable(e: unknown): boolean {
  if (e instanceof ConnectError) return e.code === Code.Unavailable || (e.code === Code.Unknown && /ECONN|socket hang up|EPIPE|terminated/i.test(e.message));
  return false;
}

export const failoverStats = { failovers: 0 };

/**
 * A transport over every instance: a client sticks to one instance and, when
 * the call cannot reach it, repeats the same call (same headers, so the same
 * request key) on the next one — what a runner does when its server restarts
 * behind a load balancer.
 */
export function failoverTransport(baseUrls: string[], first: number): Transport {
  const transports = baseUrls.map((u) => createConnectTransport({ baseUrl: `${u}/api/actions`, httpVersion: '1.1', useBinaryFormat: true }));
  let cur = first % transports.length;
  const attempt = async <R>(call: (t: Transport) => Promise<R>): Promise<R> => {
    for (let i = 0; ; i++) {
      try {
        return await call(transports[cur]!);
      } catch (e) {
        if (!isUnreachable(e) || i >= 60) throw e;
        failoverStats.failovers++;
        cur = (cur + 1) % transports.length;
        // a full round of dead instances: wait for one to come back
        if (i % transports.length === transports.length - 1) await sleep(200);
      }
    }
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) => attempt((t) => t.unary(method, signal, timeoutMs, header, input, contextValues)),
    stream: (method, signal, timeoutMs, header, input, contextValues) => attempt((t) => t.stream(method, signal, timeoutMs, header, input, contextValues)),
  };
}

/** a registered runner's client whose calls go through the failover transport */
export function failoverClient(baseUrls: string[], first: number, creds: RunnerCredentials): RunnerClient {
  const c = new RunnerClient(baseUrls[first % baseUrls.length]!, creds);
  // rpc is readonly for users of the client; the chaos run swaps the transport under it on purpose
  Object.assign(c, { rpc: createClient(RunnerService, failoverTransport(baseUrls, first)) });
  return c;
}

/** a JSON POST to whichever instance is up, starting at `first`, retried until one answers */
export async function postAny<T>(instances: InstanceProcess[], first: number, route: string, body: unknown = {}, deadline = Date.now() + 120_000): Promise<T> {
  let last: unknown;
  for (let i = 0; Date.now() < deadline; i++) {
    const inst = instances[(first + i) % instances.length]!;
    if (!inst.up) {
      if (i % instances.length === instances.length - 1) await sleep(100);
      continue;
    }
    try {
      return await post<T>(inst.origin, route, body);
    } catch (e) {
      last = e;
      await sleep(50);
    }
  }
  throw new Error(`${route}: no instance answered (${String(last)})`);
}
