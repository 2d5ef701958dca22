// `npm run fuzz`: malformed and hostile input against every entry point of
// the plugin, which runs in a child process (bench/support/fuzz-child.ts) so that a
// crash shows as the child exiting.
//
// Targets: each Connect method (binary protobuf and JSON, with and without
// valid runner credentials; bodies are valid messages mutated, structurally
// hostile messages built on the wire format, and random bytes), the hooks
// (through the child's /fuzz/hook route) and the REST API (path traversal,
// SQL metacharacters, 10 MB strings, wrong types, malformed JSON).
//
// Every answer is classified: a success, a typed refusal (a Connect error with
// a known code, a REST `{message}` with a 4xx, a typed hook error) or an
// untyped error (`internal`/`unknown`, a 5xx, a stack trace in the body). After
// every refused call the database fingerprint must be unchanged.
//
// FUZZ_CASES_PER_METHOD (default 10000; the CI pass uses a few hundred) is the
// number of cases for each Connect method, for the hooks and for the REST API.
// FUZZ_DATABASES=sqlite,postgres adds an ephemeral PostgreSQL. FUZZ_SEED fixes
// the random sequence. The last line is
// {"fuzz":"all","cases":N,"crashes":0,"untyped_errors":0,"writes_from_rejected":0}.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { create, toBinary, toJsonString, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import {
  DeclareRequestSchema,
  FetchSingleTaskRequestSchema,
  FetchTaskRequestSchema,
  LogRowSchema,
  RegisterRequestSchema,
  StepStateSchema,
  TaskStateSchema,
  UpdateLogRequestSchema,
  UpdateTaskRequestSchema,
} from '../proto/gen/runner/v1/messages_pb.js';
import { PingRequestSchema } from '../proto/gen/ping/v1/messages_pb.js';
import { RunnerClient } from '../lib/client/runner-client.js';
import { startPostgres, type EphemeralPostgres } from '../spec/support/postgres.js';
import { tempDir } from '../spec/support/temp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CASES = Math.max(1, Number(process.env.FUZZ_CASES_PER_METHOD ?? process.argv[2] ?? 10_000));
const DATABASES = (process.env.FUZZ_DATABASES ?? 'sqlite').split(',').map((s) => s.trim()).filter(Boolean);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** a comma-separated subset of targets (FetchTask, hooks, rest, …) to fuzz; all when unset */
const ONLY = process.env.FUZZ_TARGETS ? new Set(process.env.FUZZ_TARGETS.split(',').map((s) => s.trim())) : null;

// ---- randomness -------------------------------------------------------------

let state = SEED >>> 0;
function rand(): number {
  // mulberry32: small, seedable, good enough to pick mutations
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
const chance = (p: number) => rand() < p;
function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

// ---- hostile values -----------------------------------------------------------

const TEN_MB = 'A'.repeat(10 * 1024 * 1024);
const hostileStrings = [
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '....//....//etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\win.ini',
  "'; drop table action_run;--",
  "' OR '1'='1",
  '1; delete from action_task',
  '" or ""="',
  '%00',
  '\u0000',
  'a\u0000b',
  '${{ secrets.FUZZ_SECRET }}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '\ud800',
  '😀'.repeat(300),
  'x'.repeat(70_000),
  '-1',
  '0',
  '9223372036854775808',
  '1e400',
  'NaN',
  '',
  ' ',
  'refs/heads/../../etc',
];
const hostileValues: unknown[] = [
  ...hostileStrings,
  -1,
  0,
  1.5,
  -9007199254740993,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  false,
  null,
  [],
  [1, 2, 3],
  {},
  { $gt: '' },
  { __proto__: { polluted: true } },
  Array.from({ length: 10_000 }, (_, i) => i),
];
function hostileValue(): unknown {
  return chance(0.004) ? TEN_MB : pick(hostileValues);
}
function hostileString(): string {
  return chance(0.004) ? TEN_MB : pick(hostileStrings);
}

// ---- the child ----------------------------------------------------------------

interface ChildInfo {
  port: number;
  registrationToken: string;
  repoId: number;
  otherRepoId: number;
}

interface Child {
  proc: ChildProcess;
  info: ChildInfo;
  exited: boolean;
  logs: string[];
}

async function startChild(dbUrl: string, root: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'support', 'fuzz-child.ts'), dbUrl, root], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // not production: Express's default error page would then show a stack trace, which the fuzzer must see
    env: { ...process.env, NODE_ENV: 'development' },
  });
  const logs: string[] = [];
  const child = { proc, logs, exited: false } as Child;
  proc.on('exit', () => (child.exited = true));
  readline.createInterface({ input: proc.stderr! }).on('line', (l) => {
    logs.push(l);
    if (logs.length > 200) logs.shift();
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`fuzz child exited with ${code} before listening:\n${logs.join('\n')}`)));
  });
  child.info = JSON.parse(line) as ChildInfo;
  return child;
}

async function stopChild(c: Child): Promise<void> {
  if (c.exited) return;
  const gone = new Promise((r) => c.proc.once('exit', r));
  c.proc.stdin!.end();
  await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  if (!c.exited) c.proc.kill('SIGKILL');
}

// ---- HTTP ---------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

interface Answer {
  status: number;
  type: string;
  body: string;
  error?: string;
  /** the server closed the connection while a body over its size limit was still being sent: a refusal, not a fault */
  closedOnLargeBody?: boolean;
}

async function send(port: number, method: string, urlPath: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Answer> {
  const first = await sendOnce(port, method, urlPath, headers, body, false);
  // a connection reset before any answer (most often a kept-alive socket the server had already
  // closed): the same request goes again once on a fresh connection, as Node's documentation
  // advises; a fault of the server shows again there, and a crash is caught by the child's exit
  return first.status === 0 && !first.closedOnLargeBody ? sendOnce(port, method, urlPath, headers, body, true) : first;
}

function sendOnce(port: number, method: string, urlPath: string, headers: Record<string, string>, body: Uint8Array | string | undefined, fresh: boolean): Promise<Answer & { reused?: boolean }> {
  return new Promise((resolve) => {
    // a body the server refuses unread makes it close the connection: such cases get a connection of their own
    const big = fresh || (body !== undefined && body.length > 512 * 1024);
    // a body always goes with its length: Node sends a GET or DELETE body unframed otherwise, and
    // the server would rightly read those bytes as the start of the next request
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: big ? { ...framed, connection: 'close' } : framed, agent: big ? false : agent, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: 0, type: '', body: '', error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      const closedOnLargeBody = body !== undefined && body.length > 1024 * 1024 && (code === 'EPIPE' || code === 'ECONNRESET');
      resolve({ status: 0, type: '', body: '', error: (e as Error).message, reused: req.reusedSocket, closedOnLargeBody });
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function getJson<T>(port: number, urlPath: string, method = 'GET'): Promise<T> {
  let a = await send(port, method, urlPath, {});
  // a kept-alive socket the server closed after refusing a case's body: one retry on a fresh one
  if (a.status === 0) a = await send(port, method, urlPath, {});
  if (a.status !== 200) throw new Error(`${method} ${urlPath}: ${a.status} ${a.error ?? a.body.slice(0, 300)}`);
  return JSON.parse(a.body) as T;
}

// ---- classification --------------------------------------------------------------

type Verdict = 'ok' | 'typed' | 'untyped' | 'crash';

const connectCodes = new Set(['canceled', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists', 'permission_denied', 'resource_exhausted', 'failed_precondition', 'aborted', 'out_of_range', 'unimplemented', 'unavailable', 'unauthenticated']);
// internal, unknown and data_loss mean an error nobody mapped
const stackTrace = /\n\s+at |\bat [\w.<>]+ \(|\/work\/|node_modules|\.ts:\d+:\d+|\.js:\d+:\d+/;

function classifyConnect(a: Answer): Verdict {
  if (a.status === 0) return a.closedOnLargeBody ? 'typed' : 'untyped';
  if (stackTrace.test(a.body)) return 'untyped';
  if (a.status === 200) return 'ok';
  let code: unknown;
  try {
    code = (JSON.parse(a.body) as { code?: unknown }).code;
  } catch {
    // HTTP-level refusals (415 unsupported media type, 405, 413, 431) carry no Connect body
    return a.status >= 400 && a.status < 500 ? 'typed' : 'untyped';
  }
  if (typeof code === 'string' && connectCodes.has(code)) return 'typed';
  const message = (JSON.parse(a.body) as { message?: unknown }).message;
  // Forgejo answers these refusals with `internal` and these words; the plugin keeps them on
  // purpose (typed ActionsErrors of kind internal, asserted in spec/runner/update.test.ts)
  return code === 'internal' && typeof message === 'string' && forgejoInternal.test(message) ? 'typed' : 'untyped';
}

const forgejoInternal = /^(update task: resource does not exist|update task: invalid runner for task|get task: task with id -?\d+: resource does not exist|invalid runner for task)$/;
/** the id-token endpoint answers these with 500, as Forgejo does (spec/secrets/oidc.test.ts) */
const forgejoIdToken = /^Error runner api (parsing authorization token|parsing custom claims|getting task by ID|getting task: task is not running)$/;

function classifyRest(a: Answer): Verdict {
  if (a.status === 0) return a.closedOnLargeBody ? 'typed' : 'untyped';
  if (stackTrace.test(a.body)) return 'untyped';
  if (a.status >= 200 && a.status < 400) return 'ok';
  if (a.status === 500 && a.type.includes('json')) {
    try {
      if (forgejoIdToken.test(String((JSON.parse(a.body) as { message?: unknown }).message))) return 'typed';
    } catch {
      return 'untyped';
    }
  }
  if (a.status >= 500 && a.status !== 503) return 'untyped';
  if (a.type.includes('json')) {
    try {
      return typeof (JSON.parse(a.body) as { message?: unknown }).message === 'string' ? 'typed' : 'untyped';
    } catch {
      return 'untyped';
    }
  }
  // Node's own refusals (431 header too large, 400 bad request) have no JSON body and no stack
  return a.status < 500 ? 'typed' : 'untyped';
}

function classifyHook(a: Answer): Verdict {
  if (a.status === 0) return a.closedOnLargeBody ? 'typed' : 'untyped';
  if (a.status === 200) return 'ok';
  try {
    const b = JSON.parse(a.body) as { typed?: boolean };
    return b.typed === true ? 'typed' : 'untyped';
  } catch {
    return a.status === 413 ? 'typed' : 'untyped';
  }
}

// ---- protobuf building blocks ---------------------------------------------------

const invalidUtf8 = new Uint8Array([0x61, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xed, 0xa0, 0x80, 0x62]);
const ts = (seconds: bigint, nanos = 0) => create(TimestampSchema, { seconds, nanos });
const absurdTimestamps = [ts(10n ** 15n), ts(-(10n ** 15n)), ts(1n, -5), ts(1n, 2_000_000_000), ts(2n ** 63n - 1n), ts(-(2n ** 63n)), ts(253402300800n), ts(-62135596801n)];
const absurdInt64 = [-1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n, -(2n ** 53n) - 1n, 0n];

function bin<D extends DescMessage>(schema: D, init: Parameters<typeof create<D>>[1]): Uint8Array {
  return toBinary(schema, create(schema, init));
}

/** a field of wire type `wt` and field number `n` with an arbitrary payload */
function rawField(n: number, wt: WireType, payload: Uint8Array | bigint | number): Uint8Array {
  const w = new BinaryWriter();
  w.tag(n, wt);
  // a payload that does not fit the wire type is coerced: the wire type is what the case is about
  const big = typeof payload === 'bigint' ? payload : typeof payload === 'number' ? BigInt(payload) : BigInt(payload.length);
  if (wt === WireType.LengthDelimited) w.bytes(payload instanceof Uint8Array ? payload : new TextEncoder().encode(String(payload)));
  else if (wt === WireType.Varint) w.int64(big);
  else if (wt === WireType.Bit64) w.fixed64(BigInt.asUintN(64, big));
  else if (wt === WireType.Bit32) w.fixed32(Number(BigInt.asUintN(32, big)));
  return w.finish();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** a length-delimited field whose declared length is far beyond the body */
function hugeLength(n: number): Uint8Array {
  const w = new BinaryWriter();
  w.tag(n, WireType.LengthDelimited).uint32(0x7fffffff);
  return concat(w.finish(), randomBytes(8));
}

/** start-group tags nested deep: a recursive decoder would overflow its stack */
function deepGroups(depth: number): Uint8Array {
  const w = new BinaryWriter();
  for (let i = 0; i < depth; i++) w.tag(15, WireType.StartGroup);
  return w.finish();
}

function mutateBytes(b: Uint8Array, others: Uint8Array[]): Uint8Array {
  let out: Uint8Array = b.slice();
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    switch (int(8)) {
      case 0: // flip bytes
        for (let i = 0, n = 1 + int(4); i < n && out.length; i++) out[int(out.length)]! ^= 1 << int(8);
        break;
      case 1: // truncate
        out = out.slice(0, int(out.length + 1));
        break;
      case 2: // duplicate the message (every field appears twice)
        out = concat(out, out);
        break;
      case 3: // insert random bytes
        {
          const at = int(out.length + 1);
          out = concat(out.slice(0, at), randomBytes(1 + int(16)), out.slice(at));
        }
        break;
      case 4: // splice another valid message in
        {
          const o = pick(others);
          const at = int(out.length + 1);
          out = concat(out.slice(0, at), o.slice(int(o.length + 1)));
        }
        break;
      case 5: // 0xff bytes: varints that never end
        for (let i = 0, n = 1 + int(6); i < n && out.length; i++) out[int(out.length)] = 0xff;
        break;
      case 6: // a trailing field of a random number and wire type
        out = concat(out, rawField(1 + int(20), pick([WireType.Varint, WireType.LengthDelimited, WireType.Bit64, WireType.Bit32]), pick([invalidUtf8, -1n, 2n ** 63n - 1n, 0xffffffff])));
        break;
      default: // a huge declared length
        out = concat(out, hugeLength(1 + int(8)));
    }
  }
  return out;
}

// ---- JSON building blocks ---------------------------------------------------------

function mutateJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return hostileValue();
  const clone = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  // walk to a random node and replace or delete it
  let node: Record<string, unknown> | unknown[] = clone;
  for (let depth = 0; depth < 4; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = pick(keys);
    const child = (node as Record<string, unknown>)[k];
    if (child && typeof child === 'object' && chance(0.6)) {
      node = child as Record<string, unknown>;
      continue;
    }
    if (chance(0.15)) delete (node as Record<string, unknown>)[k];
    else (node as Record<string, unknown>)[k] = hostileValue();
    return clone;
  }
  (node as Record<string, unknown>)[pick(['extra', 'id', 'data', '__proto__', 'constructor'])] = hostileValue();
  return clone;
}

function mutateText(text: string): string {
  switch (int(5)) {
    case 0:
      return text.slice(0, int(text.length + 1));
    case 1: {
      const at = int(text.length + 1);
      return text.slice(0, at) + pick(['{', '}', '"', ',', ':', '\\', '\u0000', 'NaN', ']]]', '\\ud800']) + text.slice(at);
    }
    case 2:
      return '['.repeat(5000) + text;
    case 3:
      return text.replace(/\d/, '9'.repeat(400));
    default:
      return text + text;
  }
}

// ---- cases --------------------------------------------------------------------

interface Case {
  target: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  kind: 'connect' | 'rest' | 'hook';
  note: string;
}

interface World {
  port: number;
  info: ChildInfo;
  runner: RunnerClient;
  tasks: Array<{ id: number; logLength: number }>;
}

type ConnectMethod = 'Ping' | 'Register' | 'Declare' | 'FetchTask' | 'FetchSingleTask' | 'UpdateTask' | 'UpdateLog';
const connectMethods: ConnectMethod[] = ['Ping', 'Register', 'Declare', 'FetchTask', 'FetchSingleTask', 'UpdateTask', 'UpdateLog'];

function connectPath(m: ConnectMethod): string {
  return m === 'Ping' ? '/actions/api/actions/ping.v1.PingService/Ping' : `/actions/api/actions/runner.v1.RunnerService/${m}`;
}

const schemaOf: Record<ConnectMethod, DescMessage> = {
  Ping: PingRequestSchema,
  Register: RegisterRequestSchema,
  Declare: DeclareRequestSchema,
  FetchTask: FetchTaskRequestSchema,
  FetchSingleTask: FetchSingleTaskRequestSchema,
  UpdateTask: UpdateTaskRequestSchema,
  UpdateLog: UpdateLogRequestSchema,
};

function taskOf(w: World): { id: number; logLength: number } {
  return w.tasks.length && chance(0.9) ? pick(w.tasks) : { id: pick([1, 2, 3, 999_999]), logLength: 0 };
}

/** valid messages of a method, built around the fuzzed runner's real tasks */
function seeds(m: ConnectMethod, w: World): Array<MessageShape<DescMessage>> {
  const t = taskOf(w);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const rows = (n: number) => Array.from({ length: n }, (_, i) => create(LogRowSchema, { time: ts(now), content: `line ${i}` }));
  switch (m) {
    case 'Ping':
      return [create(PingRequestSchema, { data: 'fuzz' })];
    case 'Register':
      return [create(RegisterRequestSchema, { name: 'fz', token: chance(0.5) ? w.info.registrationToken : 'nope', version: 'v12.0.0', labels: ['host'], agentLabels: ['host'], ephemeral: chance(0.2) })];
    case 'Declare':
      return [create(DeclareRequestSchema, { version: 'v12.0.0', labels: ['host', 'docker:docker://node:20'] })];
    case 'FetchTask':
      return [create(FetchTaskRequestSchema, { tasksVersion: BigInt(int(5)), taskCapacity: chance(0.5) ? BigInt(1 + int(3)) : undefined })];
    case 'FetchSingleTask':
      return [create(FetchSingleTaskRequestSchema, { tasksVersion: 0n, handle: 'h' })];
    case 'UpdateTask':
      return [
        create(UpdateTaskRequestSchema, {
          state: create(TaskStateSchema, {
            id: BigInt(t.id),
            result: chance(0.9) ? 0 : 1 + int(4),
            startedAt: ts(now),
            steps: [0, 1].map((i) => create(StepStateSchema, { id: BigInt(i), result: 0, startedAt: ts(now), logIndex: BigInt(i), logLength: 1n })),
          }),
          outputs: chance(0.3) ? { out: 'v' } : {},
        }),
      ];
    case 'UpdateLog':
      return [create(UpdateLogRequestSchema, { taskId: BigInt(t.id), index: BigInt(t.logLength), rows: rows(1 + int(3)), noMore: chance(0.05) })];
  }
}

/** messages built to be hostile field by field */
function hostileMessage(m: ConnectMethod, w: World): Uint8Array {
  const t = taskOf(w);
  const i64 = pick(absurdInt64);
  const stamp = pick(absurdTimestamps);
  switch (m) {
    case 'Ping':
      return pick([rawField(1, WireType.LengthDelimited, invalidUtf8), rawField(1, WireType.Varint, 5), bin(PingRequestSchema, { data: hostileString() })]);
    case 'Register':
      return pick([
        concat(rawField(1, WireType.LengthDelimited, invalidUtf8), rawField(2, WireType.LengthDelimited, new TextEncoder().encode(w.info.registrationToken))),
        bin(RegisterRequestSchema, { name: hostileString(), token: w.info.registrationToken, version: hostileString(), labels: [hostileString()] }),
        rawField(7, WireType.LengthDelimited, randomBytes(4)),
        rawField(2, WireType.Varint, -1n),
      ]);
    case 'Declare':
      return pick([
        rawField(2, WireType.LengthDelimited, invalidUtf8),
        bin(DeclareRequestSchema, { version: hostileString(), labels: [hostileString(), hostileString()] }),
        rawField(1, WireType.Bit32, 7),
      ]);
    case 'FetchTask':
      return pick([bin(FetchTaskRequestSchema, { tasksVersion: i64, taskCapacity: pick(absurdInt64) }), rawField(1, WireType.LengthDelimited, invalidUtf8), rawField(2, WireType.Bit64, -1n)]);
    case 'FetchSingleTask':
      return pick([bin(FetchSingleTaskRequestSchema, { tasksVersion: i64, handle: hostileString() }), rawField(2, WireType.LengthDelimited, invalidUtf8)]);
    case 'UpdateTask': {
      const step = create(StepStateSchema, { id: pick(absurdInt64), result: pick([0, 1, 99, -1]), startedAt: stamp, stoppedAt: pick(absurdTimestamps), logIndex: pick(absurdInt64), logLength: pick(absurdInt64) });
      const stateMsg = create(TaskStateSchema, { id: chance(0.7) ? BigInt(t.id) : i64, result: pick([0, 1, 2, 3, 4, 5, 1000, -7]), startedAt: stamp, stoppedAt: pick(absurdTimestamps), steps: [step] });
      return pick([
        bin(UpdateTaskRequestSchema, { state: stateMsg, outputs: { [hostileString().slice(0, 300)]: hostileString() } }),
        bin(UpdateTaskRequestSchema, { state: create(TaskStateSchema, { id: BigInt(t.id), steps: Array.from({ length: 1000 }, (_, i) => create(StepStateSchema, { id: BigInt(i), logIndex: -1n, logLength: 2n ** 40n })) }) }),
        // outputs map entry whose key is invalid UTF-8
        concat(rawField(1, WireType.LengthDelimited, bin(TaskStateSchema, { id: BigInt(t.id) })), rawField(2, WireType.LengthDelimited, concat(rawField(1, WireType.LengthDelimited, invalidUtf8), rawField(2, WireType.LengthDelimited, invalidUtf8)))),
        rawField(1, WireType.Varint, 3),
      ]);
    }
    case 'UpdateLog': {
      const badRow = concat(rawField(1, WireType.LengthDelimited, bin(TimestampSchema, { seconds: 1n })), rawField(2, WireType.LengthDelimited, invalidUtf8));
      return pick([
        // invalid UTF-8 in LogRow.content
        concat(rawField(1, WireType.Varint, BigInt(t.id)), rawField(2, WireType.Varint, BigInt(t.logLength)), rawField(3, WireType.LengthDelimited, badRow)),
        bin(UpdateLogRequestSchema, { taskId: BigInt(t.id), index: pick(absurdInt64), rows: [create(LogRowSchema, { time: stamp, content: 'x' })] }),
        bin(UpdateLogRequestSchema, { taskId: BigInt(t.id), index: BigInt(t.logLength), rows: [create(LogRowSchema, { time: stamp, content: hostileString() })] }),
        bin(UpdateLogRequestSchema, { taskId: i64, index: -1n, rows: [] }),
        rawField(3, WireType.Varint, 1),
      ]);
    }
  }
}

/** a huge repeated field: 100k log rows, 100k labels */
function hugeRepeated(m: ConnectMethod, w: World): Uint8Array {
  const t = taskOf(w);
  const many = Array.from({ length: 100_000 }, (_, i) => `row ${i}`);
  if (m === 'UpdateLog') return bin(UpdateLogRequestSchema, { taskId: BigInt(t.id), index: BigInt(t.logLength), rows: many.map((content) => create(LogRowSchema, { time: ts(1_700_000_000n), content })) });
  if (m === 'Register') return bin(RegisterRequestSchema, { name: 'big', token: w.info.registrationToken, labels: many });
  if (m === 'Declare') return bin(DeclareRequestSchema, { labels: many });
  if (m === 'UpdateTask') return bin(UpdateTaskRequestSchema, { state: create(TaskStateSchema, { id: BigInt(t.id), steps: many.map((_, i) => create(StepStateSchema, { id: BigInt(i) })) }), outputs: Object.fromEntries(many.slice(0, 20_000).map((k) => [k.replace(' ', '_'), 'v'])) });
  return concat(...Array.from({ length: 20_000 }, () => rawField(1, WireType.Varint, 1)));
}

function credentials(w: World, m: ConnectMethod): Record<string, string> {
  const r = rand();
  const valid = { 'x-runner-uuid': w.runner.creds.uuid, 'x-runner-token': w.runner.creds.token };
  if (r < 0.65) return m === 'FetchTask' && chance(0.5) ? { ...valid, 'x-runner-request-key': chance(0.5) ? `k${int(5)}` : 'x'.repeat(4000) } : valid;
  if (r < 0.75) return {};
  if (r < 0.85) return { 'x-runner-uuid': w.runner.creds.uuid, 'x-runner-token': 'f'.repeat(40) };
  if (r < 0.92) return { 'x-runner-uuid': hostileString().slice(0, 2000).replace(/[^\x20-\x7e]/g, '?'), 'x-runner-token': "' or 1=1 --" };
  return { 'x-runner-uuid': '00000000-0000-0000-0000-000000000000', 'x-runner-token': w.runner.creds.token };
}

function connectCase(m: ConnectMethod, w: World, n: number): Case {
  const schema = schemaOf[m];
  const valid = seeds(m, w);
  const validBin = valid.map((v) => toBinary(schema, v));
  const headers: Record<string, string> = { 'connect-protocol-version': '1', ...(m === 'Register' || m === 'Ping' ? {} : credentials(w, m)) };
  const json = chance(0.3);
  let body: Uint8Array | string;
  let note: string;
  if (json) {
    headers['content-type'] = 'application/json';
    const text = toJsonString(schema, pick(valid));
    const r = rand();
    if (r < 0.55) {
      body = JSON.stringify(mutateJson(JSON.parse(text)));
      note = 'json: hostile value';
    } else if (r < 0.8) {
      body = mutateText(text);
      note = 'json: mangled text';
    } else if (r < 0.9) {
      body = concat(new TextEncoder().encode('{"data":"'), invalidUtf8, new TextEncoder().encode('","name":"'), invalidUtf8, new TextEncoder().encode('"}'));
      note = 'json: invalid utf-8';
    } else {
      body = JSON.stringify(hostileValue());
      note = 'json: not an object';
    }
  } else {
    headers['content-type'] = 'application/proto';
    const r = rand();
    if (n % 2500 === 7) {
      body = hugeRepeated(m, w);
      note = 'proto: huge repeated field';
    } else if (n % 5000 === 11) {
      body = deepGroups(100_000);
      note = 'proto: deeply nested groups';
    } else if (r < 0.5) {
      body = mutateBytes(pick(validBin), validBin);
      note = 'proto: mutated valid message';
    } else if (r < 0.85) {
      body = hostileMessage(m, w);
      note = 'proto: hostile fields';
    } else {
      body = randomBytes(int(chance(0.1) ? 100_000 : 300));
      note = 'proto: random bytes';
    }
  }
  // the transport itself, now and then: odd content types, compression that is not, bad timeouts
  if (chance(0.04)) {
    const t = int(5);
    if (t === 0) headers['content-type'] = pick(['text/plain', 'application/proto; charset=utf-16', 'application/x-www-form-urlencoded', '']);
    if (t === 1) headers['content-encoding'] = 'gzip';
    if (t === 2) headers['connect-timeout-ms'] = pick(['-1', 'abc', '99999999999999999999']);
    if (t === 3) headers['connect-protocol-version'] = '2';
    if (t === 4) headers['connect-content-encoding'] = 'br';
    note += ' + transport header';
  }
  return { target: m, kind: 'connect', method: 'POST', path: connectPath(m), headers, body, note };
}

// ---- REST cases ----------------------------------------------------------------

/** percent-encoding that also carries lone surrogates, as the bytes of an unpaired surrogate (invalid UTF-8) */
function enc(v: string): string {
  return encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\u0001')).replace(/%01/g, '%ED%A0%80');
}

function seg(v: string): string {
  // path traversal must reach the router: some raw, some percent-encoded
  return chance(0.5) ? enc(v).slice(0, 6000) : v.replace(/[^\x21-\x7e]/g, '_').replace(/[?#]/g, '_').slice(0, 6000);
}

function restCase(w: World): Case {
  const id = () => (chance(0.6) ? String(1 + int(30)) : seg(hostileString()));
  const name = () => (chance(0.4) ? pick(['FUZZ_SECRET', 'MY_VAR', 'a']) : seg(hostileString()));
  const owner = chance(0.85) ? 'fuzz' : seg(hostileString());
  const repo = chance(0.85) ? 'repo' : seg(hostileString());
  const scope = pick([`/repos/${owner}/${repo}/actions`, `/repos/${owner}/${repo}/actions`, `/orgs/${owner}/actions`, '/user/actions', '/admin/actions', '/admin']);
  const q = () => (chance(0.5) ? '' : `?${pick(['status', 'event', 'branch', 'actor', 'workflow_id', 'page', 'limit', 'step', 'follow', 'status[]', 'page[x]'])}=${enc(hostileString().slice(0, 2000))}&${pick(['page', 'limit'])}=${pick(['-1', '0', '1e9', 'abc', '2'])}`);
  const body = () => {
    const base: Record<string, unknown> = pick([
      { ref: 'main', inputs: { level: 'low', count: 3 } },
      { data: 'x' },
      { value: 'v', name: 'NEW_NAME' },
      { name: 'r', description: 'd', ephemeral: false },
      { always: true },
      { failed_only: true },
    ]);
    const r = rand();
    if (r < 0.6) return JSON.stringify(mutateJson(base));
    if (r < 0.8) return mutateText(JSON.stringify(base));
    if (r < 0.85) return `{"data":"${TEN_MB}"}`;
    return JSON.stringify(hostileValue());
  };
  const routes: Array<[string, string, boolean]> = [
    ['GET', `/repos/${owner}/${repo}/actions/runs${q()}`, false],
    ['GET', `/repos/${owner}/${repo}/actions/runs/${id()}${q()}`, false],
    ['GET', `/repos/${owner}/${repo}/actions/runs/${id()}/jobs${q()}`, false],
    ['GET', `/repos/${owner}/${repo}/actions/jobs/${id()}`, false],
    ['GET', `/repos/${owner}/${repo}/actions/jobs/${id()}/logs${chance(0.5) ? `?step=${enc(hostileString().slice(0, 500))}` : ''}`, false],
    ['POST', `/repos/${owner}/${repo}/actions/runs/${id()}/${pick(['cancel', 'approve', 'rerun', 'rerun-failed-jobs'])}`, true],
    ['POST', `/repos/${owner}/${repo}/actions/jobs/${id()}/${pick(['rerun', 'cancel'])}`, true],
    ['POST', `/repos/${owner}/${repo}/actions/workflows/${chance(0.3) ? 'ci.yml' : seg(hostileString())}/dispatches`, true],
    ['GET', `${scope}/secrets`, false],
    [pick(['PUT', 'DELETE']), `${scope}/secrets/${name()}`, true],
    [pick(['GET', 'POST', 'PUT', 'DELETE']), `${scope}/variables/${name()}`, true],
    ['GET', `${scope}/variables`, false],
    [pick(['GET', 'DELETE']), `${scope}/runners/${id()}`, false],
    ['POST', `${scope}/runners`, true],
    [pick(['GET', 'POST']), `${scope}/runners/registration-token`, false],
    ['GET', `/api/actions/_apis/pipelines/workflows/${id()}/idtoken?audience=${enc(hostileString().slice(0, 500))}`, false],
  ];
  const [method, p, hasBody] = pick(routes);
  const headers: Record<string, string> = {};
  if (chance(0.85)) headers['x-fuzz-admin'] = '1';
  if (chance(0.2)) headers.authorization = pick(['Bearer ' + 'a'.repeat(40), 'Bearer x.y.z', "Basic ' or 1=1", 'token ../../etc/passwd']);
  let b: string | undefined;
  if (hasBody || chance(0.1)) {
    b = body();
    headers['content-type'] = chance(0.9) ? 'application/json' : pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded']);
  }
  const fullPath = p.startsWith('/api/actions') ? `/actions${p}` : `/actions/api/v1${p}`;
  // the route under test, without its hostile values, for the summary
  return { target: 'rest', kind: 'rest', method, path: fullPath, headers, body: b, note: `${method} ${p.slice(0, 80)}` };
}

// ---- hook cases ----------------------------------------------------------------

const hookNames = ['push', 'create', 'delete', 'pullRequest', 'pullRequestReview', 'pullRequestComment', 'issues', 'issueComment', 'release', 'fork', 'watch', 'wiki', 'repositoryUpdated'];

function hookCase(w: World, sha: string): Case {
  const repository = { id: w.info.repoId, name: 'repo', full_name: 'fuzz/repo', owner: { id: 4, login: 'fuzz' }, default_branch: 'main' };
  const sender = { id: 4, login: 'fuzz' };
  const base: Record<string, unknown> = pick([
    { ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, repository, sender, head_commit: { id: sha, message: 'm', added: [], removed: [], modified: [] }, commits: [{ id: sha, message: 'm', added: ['.forgejo/workflows/ci.yml'], removed: [], modified: [] }] },
    { action: 'opened', number: 1, pull_request: { number: 1, title: 't', head: { ref: 'feature', sha, repo: repository }, base: { ref: 'main', sha, repo: repository }, user: sender, merged: false, labels: [] }, repository, sender },
    { ref: 'v1', ref_type: 'tag', sha, repository, sender },
    { action: 'published', release: { tag_name: 'v1', target_commitish: 'main' }, repository, sender },
    { action: 'opened', issue: { number: 2, title: 'i' }, comment: { id: 1, body: 'c' }, repository, sender },
    { repository, sender, forkee: repository },
  ]);
  const r = rand();
  let body: string;
  let note: string;
  if (r < 0.6) {
    let v: unknown = base;
    for (let i = 0, n = 1 + int(3); i < n; i++) v = mutateJson(v);
    body = JSON.stringify(v);
    note = 'hook: hostile value';
  } else if (r < 0.8) {
    body = mutateText(JSON.stringify(base));
    note = 'hook: malformed JSON';
  } else if (r < 0.9) {
    const paths = { ...base, commits: [{ id: sha, message: 'm', added: ['../../etc/passwd', '.forgejo/workflows/../../../etc/passwd', '/etc/shadow'], removed: [], modified: [] }], repository: { ...repository, name: pick(['../..', '..', 'repo/../../x', 'repo\u0000']), full_name: pick(['../../etc', 'fuzz/../../etc']) } };
    body = JSON.stringify(paths);
    note = 'hook: path traversal';
  } else if (r < 0.95) {
    body = JSON.stringify({ ...base, ref: pick([`refs/heads/${TEN_MB}`, "refs/heads/'; drop table action_run;--"]), head_commit: { id: sha, message: chance(0.5) ? TEN_MB : "'; drop table action_run;--" } });
    note = 'hook: huge or SQL string';
  } else {
    body = JSON.stringify(hostileValue());
    note = 'hook: not an object';
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (chance(0.2)) headers['x-delivery-id'] = hostileString().slice(0, 2000).replace(/[^\x20-\x7e]/g, '?');
  const hook = pick(hookNames);
  return { target: 'hooks', kind: 'hook', method: 'POST', path: `/fuzz/hook/${hook}`, headers, body, note: `${hook}: ${note}` };
}

// ---- the run ------------------------------------------------------------------------

interface Tally {
  cases: number;
  ok: number;
  typed: number;
  crashes: number;
  untyped_errors: number;
  writes_from_rejected: number;
}
const newTally = (): Tally => ({ cases: 0, ok: 0, typed: 0, crashes: 0, untyped_errors: 0, writes_from_rejected: 0 });
const examples: string[] = [];
const seen = new Set<string>();
/** one example per kind of finding (numbers and quoted values blurred), so a report stays readable */
function example(kind: string, c: Case, detail: string): void {
  const key = `${kind} ${c.target} ${detail.slice(0, 120).replace(/\d+/g, '#').replace(/"[^"]*"/g, '"…"')}`;
  if (seen.has(key) || examples.length >= 60) return;
  seen.add(key);
  examples.push(`${kind} ${c.target} [${c.note}] ${c.method} ${c.path.slice(0, 160)}: ${detail.slice(0, 600)}`);
}

async function fuzzDatabase(kind: string, dbUrl: string, totals: Record<string, Tally>): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-fuzz-'));
  let child = await startChild(dbUrl, root);
  const baseUrl = () => `http://127.0.0.1:${child.info.port}/actions`;
  const runner = await RunnerClient.register(baseUrl(), { token: child.info.registrationToken, labels: ['host'], name: 'fuzz-runner' }, 2);
  const world: World = { port: child.info.port, info: child.info, runner, tasks: [] };
  let headSha = '';

  const snapshot = async () => (await getJson<{ digest: string; counts: Record<string, number>; tables: Record<string, string> }>(child.info.port, '/fuzz/snapshot'));
  /** after an accepted call, work it set off (unblocking needs, events) may still be landing */
  const settle = async () => {
    let prev = await snapshot();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const next = await snapshot();
      if (next.digest === prev.digest) return next;
      prev = next;
    }
    return prev;
  };

  /** keeps the fuzzed runner holding running tasks, so mutated calls reach the task paths */
  const refill = async () => {
    const s = await getJson<{ alive: boolean; running: Array<{ id: number; logLength: number }>; waiting: number; head: string }>(child.info.port, `/fuzz/state?uuid=${world.runner.creds.uuid}`);
    headSha = s.head;
    if (!s.alive) {
      // REST cases may have reset the token since the child started: ask for the current one
      const current = await send(child.info.port, 'GET', '/actions/api/v1/repos/fuzz/repo/actions/runners/registration-token', { 'x-fuzz-admin': '1' });
      const token = current.status === 200 ? (JSON.parse(current.body) as { token: string }).token : child.info.registrationToken;
      world.runner = await RunnerClient.register(baseUrl(), { token, labels: ['host'], name: 'fuzz-runner' }, 2);
    }
    if (s.running.length < 2) {
      if (s.waiting < 2) await getJson(child.info.port, '/fuzz/push', 'POST');
      world.runner.tasksVersion = 0n;
      world.runner.inProgress.clear();
      await world.runner.fetchTask({ capacity: 2 }).catch(() => undefined);
    }
    const after = await getJson<{ running: Array<{ id: number; logLength: number }> }>(child.info.port, `/fuzz/state?uuid=${world.runner.creds.uuid}`);
    world.tasks = after.running;
  };

  const restart = async () => {
    await stopChild(child);
    child = await startChild(dbUrl, root);
    world.port = child.info.port;
    world.info = child.info;
    world.runner = new RunnerClient(baseUrl(), world.runner.creds, 2);
  };

  const targets: Array<{ name: string; make: (n: number) => Case }> = [
    ...connectMethods.map((m) => ({ name: m, make: (n: number) => connectCase(m, world, n) })),
    { name: 'hooks', make: () => hookCase(world, headSha) },
    { name: 'rest', make: () => restCase(world) },
  ];

  for (const target of targets.filter((t) => !ONLY || ONLY.has(t.name))) {
    const tally = (totals[target.name] ??= newTally());
    const started = Date.now();
    await refill();
    let baseline = await settle();
    for (let n = 0; n < CASES; n++) {
      if (n % 100 === 0 && n > 0) {
        await refill();
        baseline = await settle();
      }
      const c = target.make(n);
      const a = await send(child.info.port, c.method, c.path, c.headers, c.body);

      let verdict: Verdict = c.kind === 'connect' ? classifyConnect(a) : c.kind === 'rest' ? classifyRest(a) : classifyHook(a);
      if (a.status === 0) {
        // a dropped connection: was it the process going down?
        await new Promise((r) => setTimeout(r, 200));
        if (child.exited) verdict = 'crash';
      }
      tally.cases++;
      if (verdict === 'crash') {
        tally.crashes++;
        example('CRASH', c, `${a.error} | ${child.logs.slice(-5).join(' | ')}`);
        await restart();
        await refill();
        baseline = await settle();
        continue;
      }
      if (verdict === 'untyped') {
        tally.untyped_errors++;
        example('UNTYPED', c, `${a.status} ${a.error ?? ''} ${a.body.slice(0, 300)} | ${child.logs.slice(-2).join(' | ')}`);
      }
      if (verdict === 'ok') {
        tally.ok++;
        baseline = await settle();
        continue;
      }
      if (verdict === 'typed') tally.typed++;
      const after = await snapshot();
      if (after.digest !== baseline.digest) {
        tally.writes_from_rejected++;
        const changed = [
          ...Object.keys(after.counts).filter((t) => after.counts[t] !== baseline.counts[t]).map((t) => `${t} rows ${baseline.counts[t]}->${after.counts[t]}`),
          ...Object.keys(after.tables).filter((t) => after.tables[t] !== baseline.tables[t] && after.counts[t] === baseline.counts[t]).map((t) => `${t} updated`),
        ];
        example('WRITE', c, `${a.status} ${a.body.slice(0, 200)} changed counts: ${changed.join(',') || '(rows updated)'}`);
        baseline = await settle();
      }
    }
    console.log(JSON.stringify({ progress: target.name, database: kind, ...tally, seconds: Math.round((Date.now() - started) / 1000) }));
  }
  await stopChild(child);
  fs.rmSync(root, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(JSON.stringify({ fuzz: 'start', cases_per_method: CASES, databases: DATABASES, seed: SEED }));
  const totals: Record<string, Tally> = {};
  let pg: EphemeralPostgres | undefined;
  try {
    for (const kind of DATABASES) {
      let url: string;
      if (kind === 'sqlite') url = `sqlite:${path.join(tempDir('fuzz-db'), 'actions.sqlite')}`;
      else if (kind === 'postgres') url = await (pg ??= await startPostgres()).createDatabase('fuzz');
      else throw new Error(`FUZZ_DATABASES: unknown database ${kind}`);
      await fuzzDatabase(kind, url, totals);
    }
  } finally {
    pg?.stop();
    agent.destroy();
  }
  for (const e of examples) console.log(e);
  const all = newTally();
  for (const [name, t] of Object.entries(totals)) {
    console.log(JSON.stringify({ fuzz: name, cases: t.cases, ok: t.ok, typed: t.typed, crashes: t.crashes, untyped_errors: t.untyped_errors, writes_from_rejected: t.writes_from_rejected }));
    for (const k of Object.keys(all) as Array<keyof Tally>) all[k] += t[k];
  }
  console.log(JSON.stringify({ fuzz: 'all', cases: all.cases, crashes: all.crashes, untyped_errors: all.untyped_errors, writes_from_rejected: all.writes_from_rejected }));
  process.exitCode = all.crashes + all.untyped_errors + all.writes_from_rejected > 0 ? 1 : 0;
}

await main();
