// A runner-protocol client that behaves like forgejo-runner (spec §9): binary
// protobuf over HTTP/1.1 through @connectrpc/connect-node, the x-runner-*
// headers, a tasks_version cache, a request key kept until a FetchTask
// succeeds, task_capacity, and a task reporter that sends every
// unacknowledged log row (UpdateLog) before the task state (UpdateTask).
// Tests, the demo's shell runner and the chaos run build on it; it is public
// so a host can script runners the same way.
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { parse } from 'yaml';
import { RunnerService } from '../../proto/gen/runner/v1/services_pb.js';
import { PingService } from '../../proto/gen/ping/v1/services_pb.js';
import {
  LogRowSchema,
  Result,
  StepStateSchema,
  TaskStateSchema,
  type FetchTaskResponse,
  type Task,
  type UpdateTaskResponse,
} from '../../proto/gen/runner/v1/messages_pb.js';

export { Result } from '../../proto/gen/runner/v1/messages_pb.js';
export type { Task } from '../../proto/gen/runner/v1/messages_pb.js';

export interface RunnerCredentials {
  id?: number;
  uuid: string;
  token: string;
}

export interface RegisterOptions {
  /** registration token */
  token: string;
  name?: string;
  labels?: string[];
  version?: string;
  ephemeral?: boolean;
}

export interface FetchOptions {
  /** task_capacity to send; default the client's capacity minus tasks in progress (at least 1), omitted when capacity is undefined */
  capacity?: number;
  /** the server answers, but the client behaves as if the response was lost (keeps the request key, ignores the tasks) */
  dropResponse?: boolean;
  /** do not send x-runner-request-key (forgejo-runner v12 behaviour) */
  noRequestKey?: boolean;
}

export interface FetchOutcome {
  tasks: Task[];
  tasksVersion: bigint;
  requestKey: string | null;
  response: FetchTaskResponse;
}

/** the plain Connect clients of the two services, for calls tests want to shape by hand */
export function protocolClients(baseUrl: string): { runner: Client<typeof RunnerService>; ping: Client<typeof PingService> } {
  const transport = createConnectTransport({
    baseUrl: `${baseUrl.replace(/\/+$/, '')}/api/actions`,
    httpVersion: '1.1',
    useBinaryFormat: true,
  });
  return { runner: createClient(RunnerService, transport), ping: createClient(PingService, transport) };
}

export class RunnerClient {
  readonly rpc: Client<typeof RunnerService>;
  readonly pingRpc: Client<typeof PingService>;
  /** the cached tasks version (spec §4.2): only grows, reset to 0 after a task arrives */
  tasksVersion = 0n;
  /** the key of a FetchTask that has not succeeded yet; reused by the next attempt */
  pendingKey: string | null = null;
  /** tasks received and not yet closed */
  readonly inProgress = new Set<bigint>();

  constructor(
    readonly baseUrl: string,
    public creds: RunnerCredentials,
    readonly capacity: number | undefined = 1,
  ) {
    const c = protocolClients(baseUrl);
    this.rpc = c.runner;
    this.pingRpc = c.ping;
  }

  static async register(baseUrl: string, opts: RegisterOptions, capacity?: number): Promise<RunnerClient> {
    const { runner, ping } = protocolClients(baseUrl);
    const name = opts.name ?? `runner-${randomUUID().slice(0, 8)}`;
    await ping.ping({ data: name });
    const labels = opts.labels ?? ['ubuntu-latest'];
    const res = await runner.register({ name, token: opts.token, version: opts.version ?? 'v12.0.0', agentLabels: labels, labels, ephemeral: opts.ephemeral ?? false });
    const r = res.runner!;
    return new RunnerClient(baseUrl, { id: Number(r.id), uuid: r.uuid, token: r.token }, capacity);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.creds.uuid) h['x-runner-uuid'] = this.creds.uuid;
    if (this.creds.token) h['x-runner-token'] = this.creds.token;
    return h;
  }

  async ping(data: string): Promise<string> {
    return (await this.pingRpc.ping({ data })).data;
  }

  async declare(labels: string[], version = 'v12.0.0') {
    return (await this.rpc.declare({ labels, version }, { headers: this.headers() })).runner!;
  }

  async fetchTask(opts: FetchOptions = {}): Promise<FetchOutcome> {
    const key = opts.noRequestKey ? null : (this.pendingKey ??= randomUUID());
    const capacity = opts.capacity ?? (this.capacity === undefined ? undefined : Math.max(this.capacity - this.inProgress.size, 1));
    const response = await this.rpc.fetchTask(
      { tasksVersion: this.tasksVersion, taskCapacity: capacity === undefined ? undefined : BigInt(capacity) },
      { headers: this.headers(key ? { 'x-runner-request-key': key } : {}), timeoutMs: 30_000 },
    );
    if (opts.dropResponse) return { tasks: [], tasksVersion: this.tasksVersion, requestKey: key, response };
    // any successful answer retires the key, even one without tasks
    this.pendingKey = null;
    if (response.tasksVersion > this.tasksVersion) this.tasksVersion = response.tasksVersion;
    const tasks = [...(response.task ? [response.task] : []), ...response.additionalTasks];
    if (tasks.length > 0) this.tasksVersion = 0n;
    for (const t of tasks) this.inProgress.add(t.id);
    return { tasks, tasksVersion: response.tasksVersion, requestKey: key, response };
  }

  reporter(task: Task): TaskReporter {
    return new TaskReporter(this, task);
  }

  /** runs a task the way a runner finishes one: every step logs a line, outputs are sent, then the final result */
  async runTask(task: Task, opts: { result?: Result; outputs?: Record<string, string>; lines?: number } = {}): Promise<TaskReporter> {
    const rep = this.reporter(task);
    for (let i = 0; i < rep.stepCount; i++) {
      rep.startStep(i);
      for (let l = 0; l < (opts.lines ?? 1); l++) rep.log(`step ${i} line ${l}`);
      rep.endStep(i, Result.SUCCESS);
    }
    for (const [k, v] of Object.entries(opts.outputs ?? {})) rep.setOutput(k, v);
    await rep.close(opts.result ?? Result.SUCCESS);
    return rep;
  }
}

interface PendingRow {
  time: number;
  content: string;
}

interface StepTrack {
  result: Result;
  started?: number;
  stopped?: number;
  logIndex: number;
  logLength: number;
}

export class TaskReporter {
  readonly stepCount: number;
  readonly steps: StepTrack[];
  /** rows not acknowledged yet; rows[0] has index `logOffset` */
  rows: PendingRow[] = [];
  logOffset = 0;
  private total = 0;
  private current = -1;
  private outputs = new Map<string, string>();
  private sent = new Set<string>();
  result: Result = Result.UNSPECIFIED;
  /** what the server answered last (CANCELLED/FAILURE means: stop) */
  serverResult: Result = Result.UNSPECIFIED;
  startedAt: number | undefined;
  stoppedAt: number | undefined;

  constructor(
    readonly client: RunnerClient,
    readonly task: Task,
  ) {
    const doc = parse(new TextDecoder().decode(task.workflowPayload ?? new Uint8Array())) as { jobs?: Record<string, { steps?: unknown[] }> } | null;
    const job = Object.values(doc?.jobs ?? {})[0];
    this.stepCount = Array.isArray(job?.steps) ? job.steps.length : 0;
    this.steps = Array.from({ length: this.stepCount }, () => ({ result: Result.UNSPECIFIED, logIndex: 0, logLength: 0 }));
  }

  get id(): bigint {
    return this.task.id;
  }

  get cancelled(): boolean {
    return this.serverResult === Result.CANCELLED || this.serverResult === Result.FAILURE;
  }

  log(content: string, time = Date.now()): void {
    this.startedAt ??= time;
    if (this.current >= 0) {
      const s = this.steps[this.current]!;
      if (s.logLength === 0) s.logIndex = this.total;
      s.logLength++;
    }
    this.rows.push({ time, content });
    this.total++;
  }

  startStep(i: number): void {
    this.current = i;
    this.steps[i]!.started = Date.now();
  }

  endStep(i: number, result: Result): void {
    const s = this.steps[i]!;
    s.result = result;
    s.stopped = Date.now();
    this.current = -1;
  }

  setOutput(key: string, value: string): void {
    if (!this.outputs.has(key)) this.outputs.set(key, value); // first value wins, as in the runner
  }

  /** UpdateLog with every unacknowledged row */
  async sendLogs(noMore = false): Promise<bigint> {
    const res = await this.client.rpc.updateLog(
      {
        taskId: this.task.id,
        index: BigInt(this.logOffset),
        rows: this.rows.map((r) => create(LogRowSchema, { time: timestampFromMs(r.time), content: r.content })),
        noMore,
      },
      { headers: this.client.headers() },
    );
    const ack = Number(res.ackIndex);
    if (ack < this.logOffset) throw new Error(`submitted logs are lost ${ack} < ${this.logOffset}`);
    this.rows = this.rows.slice(ack - this.logOffset);
    this.logOffset = ack;
    return res.ackIndex;
  }

  state() {
    return create(TaskStateSchema, {
      id: this.task.id,
      result: this.result,
      startedAt: this.startedAt === undefined ? undefined : timestampFromMs(this.startedAt),
      stoppedAt: this.stoppedAt === undefined ? undefined : timestampFromMs(this.stoppedAt),
      steps: this.steps.map((s, i) =>
        create(StepStateSchema, {
          id: BigInt(i),
          result: s.result,
          startedAt: s.started === undefined ? undefined : timestampFromMs(s.started),
          stoppedAt: s.stopped === undefined ? undefined : timestampFromMs(s.stopped),
          logIndex: BigInt(s.logIndex),
          logLength: BigInt(s.logLength),
        }),
      ),
    });
  }

  /** UpdateTask with the full state and the outputs not acknowledged yet */
  async sendState(): Promise<UpdateTaskResponse> {
    const outputs: Record<string, string> = {};
    for (const [k, v] of this.outputs) if (!this.sent.has(k)) outputs[k] = v;
    const res = await this.client.rpc.updateTask({ state: this.state(), outputs }, { headers: this.client.headers() });
    for (const k of res.sentOutputs) this.sent.add(k);
    this.serverResult = res.state?.result ?? Result.UNSPECIFIED;
    return res;
  }

  /** one report tick: logs first, then state */
  async flush(): Promise<UpdateTaskResponse> {
    await this.sendLogs();
    return this.sendState();
  }

  /** the final report: every row acknowledged, then the final state until every output is acknowledged */
  async close(result: Result, opts: { attempts?: number } = {}): Promise<UpdateTaskResponse> {
    this.result = result;
    this.stoppedAt = Date.now();
    for (const s of this.steps) if (s.result === Result.UNSPECIFIED) s.result = result === Result.SKIPPED ? Result.SKIPPED : Result.CANCELLED;
    const attempts = opts.attempts ?? 10;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        if (this.rows.length > 0) await this.sendLogs(true);
        if (this.rows.length > 0) throw new Error('not all logs acknowledged');
        const res = await this.sendState();
        if ([...this.outputs.keys()].some((k) => !this.sent.has(k))) throw new Error('not all outputs acknowledged');
        this.client.inProgress.delete(this.task.id);
        return res;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** i, 1000)));
      }
    }
    this.client.inProgress.delete(this.task.id);
    throw last;
  }
}
