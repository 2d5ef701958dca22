// A small runner for the demo and the end-to-end tests, built on the protocol
// client: it registers with a token, polls like forgejo-runner (the request key
// is kept until a FetchTask succeeds), runs each `run:` step of a job with bash
// in a temporary directory, streams the output with UpdateLog, and reports step
// and task results. `uses:` steps are refused with a clear log line.
// Production uses forgejo-runner; this exists so `npm start` needs nothing else.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { RunnerClient, TaskReporter, Result, type Task, makeScope, interpolate } from '../../lib/index.js';

export interface ShellRunnerOptions {
  /** the plugin's base URL, e.g. http://localhost:3000/actions */
  baseUrl: string;
  /** a registration token, or existing credentials */
  registrationToken?: string;
  credentials?: { uuid: string; token: string };
  name?: string;
  labels?: string[];
  /** poll interval when idle (forgejo-runner: 2 s) */
  pollMs?: number;
  onLog?: (task: Task, line: string) => void;
}

interface StepDef {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  shell?: string;
  env?: Record<string, unknown>;
  if?: string;
  'working-directory'?: string;
}

type Ctx = Record<string, unknown>;

// protobuf-es hands google.protobuf.Struct over as a plain JSON object
function contextOf(task: Task): Ctx {
  return (task.context ?? {}) as Ctx;
}

export class ShellRunner {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private constructor(
    readonly client: RunnerClient,
    private readonly opts: ShellRunnerOptions,
  ) {}

  static async start(opts: ShellRunnerOptions): Promise<ShellRunner> {
    const labels = opts.labels ?? ['host'];
    const client = opts.credentials
      ? new RunnerClient(opts.baseUrl, opts.credentials, 1)
      : await RunnerClient.register(opts.baseUrl, { token: opts.registrationToken!, name: opts.name ?? 'shell-runner', labels, version: 'shell-runner/1' }, 1);
    await client.declare(labels, 'shell-runner/1');
    const runner = new ShellRunner(client, opts);
    runner.loop = runner.poll();
    return runner;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      let tasks: Task[] = [];
      try {
        tasks = (await this.client.fetchTask()).tasks;
      } catch {
        // the key stays pending: the next attempt replays it and gets the same tasks back
      }
      for (const task of tasks) await this.execute(task).catch(() => {});
      if (tasks.length === 0) await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 500));
    }
  }

  private async execute(task: Task): Promise<void> {
    const rep = this.client.reporter(task);
    const ctx = contextOf(task);
    const doc = (parse(new TextDecoder().decode(task.workflowPayload ?? new Uint8Array())) ?? {}) as Record<string, unknown>;
    const [jobKey, job] = (Object.entries((doc.jobs ?? {}) as Record<string, Record<string, unknown>>)[0] ?? ['job', {}]) as [string, Record<string, unknown>];
    const steps = (job.steps ?? []) as StepDef[];
    const matrix = ((job.strategy as { matrix?: Record<string, unknown[]> } | undefined)?.matrix ?? {}) as Record<string, unknown[]>;
    const needs = Object.fromEntries(
      Object.entries(task.needs).map(([k, n]) => [k, { result: Result[n.result]?.toLowerCase() ?? 'unknown', outputs: n.outputs }]),
    );
    const stepOutputs: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {};
    const scope = () =>
      makeScope({
        github: ctx,
        needs,
        matrix: Object.fromEntries(Object.entries(matrix).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])),
        secrets: task.secrets,
        vars: task.vars,
        // `steps` is not part of the planning scope; outputs are expanded below
      });
    const expand = (s: string) => {
      const withSteps = s.replace(/\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}/g, (_, id: string, key: string) => stepOutputs[id]?.outputs[key] ?? '');
      return interpolate(withSteps, scope());
    };
    const work = await fs.mkdtemp(path.join(os.tmpdir(), `shell-runner-${task.id}-`));
    const envBase: Record<string, string> = {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      FORGEJO_ACTIONS: 'true',
      GITHUB_REPOSITORY: String(ctx.repository ?? ''),
      GITHUB_SHA: String(ctx.sha ?? ''),
      GITHUB_REF: String(ctx.ref ?? ''),
      GITHUB_RUN_ID: String(ctx.run_id ?? ''),
      GITHUB_RUN_NUMBER: String(ctx.run_number ?? ''),
      GITHUB_JOB: jobKey,
      GITHUB_WORKSPACE: work,
      GITHUB_TOKEN: task.secrets.GITHUB_TOKEN ?? '',
    };
    const envOf = (e: unknown) => Object.fromEntries(Object.entries((e ?? {}) as Record<string, unknown>).map(([k, v]) => [k, expand(String(v))]));
    let failed = false;
    const ticker = setInterval(() => void rep.flush().catch(() => {}), 1000);
    try {
      rep.log(`shell runner: job ${String(job.name ?? jobKey)} in ${work}`);
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        if (rep.cancelled) break;
        rep.startStep(i);
        if (failed && !step.if) {
          rep.endStep(i, Result.SKIPPED);
          continue;
        }
        if (step.uses) {
          this.line(task, rep, `::error:: uses: ${step.uses} is not supported by the shell runner; use forgejo-runner for actions`);
          rep.endStep(i, Result.FAILURE);
          failed = true;
          continue;
        }
        const outputFile = path.join(work, `output-${i}`);
        await fs.writeFile(outputFile, '');
        const script = path.join(work, `step-${i}.sh`);
        await fs.writeFile(script, expand(step.run ?? ''));
        const code = await this.runScript(task, rep, script, {
          ...envBase,
          ...envOf(doc.env),
          ...envOf(job.env),
          ...envOf(step.env),
          GITHUB_OUTPUT: outputFile,
        }, step['working-directory'] ? path.join(work, step['working-directory']) : work);
        const outputs = Object.fromEntries(
          (await fs.readFile(outputFile, 'utf8'))
            .split('\n')
            .filter((l) => l.includes('='))
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        if (step.id) stepOutputs[step.id] = { outputs, outcome: code === 0 ? 'success' : 'failure', conclusion: code === 0 ? 'success' : 'failure' };
        rep.endStep(i, code === 0 ? Result.SUCCESS : Result.FAILURE);
        if (code !== 0) {
          this.line(task, rep, `step ${i} exited with code ${code}`);
          failed = true;
        }
      }
      for (const [key, value] of Object.entries((job.outputs ?? {}) as Record<string, unknown>)) rep.setOutput(key, expand(String(value)));
    } catch (e) {
      this.line(task, rep, `shell runner error: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    } finally {
      clearInterval(ticker);
    }
    const result = rep.cancelled ? Result.CANCELLED : failed ? Result.FAILURE : Result.SUCCESS;
    await rep.close(result).catch(() => {});
    await fs.rm(work, { recursive: true, force: true });
  }

  private line(task: Task, rep: TaskReporter, text: string): void {
    rep.log(text);
    this.opts.onLog?.(task, text);
  }

  private runScript(task: Task, rep: TaskReporter, script: string, env: Record<string, string>, cwd: string): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn('bash', ['-e', script], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd, ...env } });
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          this.line(task, rep, buffered.slice(0, nl).replace(/\r$/, ''));
          buffered = buffered.slice(nl + 1);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const watch = setInterval(() => {
        if (rep.cancelled) child.kill('SIGTERM');
      }, 250);
      child.on('close', (code) => {
        clearInterval(watch);
        if (buffered) this.line(task, rep, buffered);
        resolve(code ?? 1);
      });
      child.on('error', () => resolve(127));
    });
  }
}
