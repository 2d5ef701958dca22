// `npm run bench -- logs`: UpdateLog rows per second ingested through the
// runner protocol (HTTP, Connect, the plugin's transaction per call) against a
// bare batched insert of the same rows into the same table (the baseline), and
// the peak extra memory of streaming a 200 MB archived log back. The stream is
// measured in a child process so the ingest's heap does not blur it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { actionsPlugin } from '../lib/index.js';
import { openDatabase } from '../lib/db.js';
import { getOrCreateRegistrationToken } from '../lib/runners.js';
import { formatLine } from '../lib/logs/index.js';
import { streamArchive } from '../lib/logs/stream.js';
import { LogRowSchema, UpdateLogRequestSchema, UpdateLogResponseSchema } from '../proto/gen/runner/v1/messages_pb.js';
import { MemoryHost, pushPayload } from '../spec/support/memory-host.js';
import { RunnerClient } from '../spec/support/runner-client.js';
import { silentLogger, TestClock } from '../spec/support/plugin.js';
import { testDeps } from '../spec/support/fixtures.js';

const ROWS = 100_000;
const BATCH = Number(process.env.BENCH_LOG_BATCH ?? 1_000);
const ARCHIVE_BYTES = 200 * 1024 * 1024;

if (process.argv[3] === '--stream') {
  // child: stream the archive to a sink, sampling RSS
  const [dir, file] = [process.argv[4]!, process.argv[5]!];
  const base = process.memoryUsage().rss;
  let peak = base;
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      peak = Math.max(peak, process.memoryUsage().rss);
      done();
    },
  });
  await pipeline(streamArchive(dir, file), sink);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(JSON.stringify({ bytes, extra: (peak - base) / 1024 / 1024 }) + '\n');
  process.exit(0);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-bench-logs-'));
const dbUrl = `sqlite:${path.join(work, 'actions.sqlite')}`;
const logDir = path.join(work, 'logs');
const host = new MemoryHost();
const clock = new TestClock();
const plugin = actionsPlugin({ database: dbUrl, host, clock, logDir, cron: false, logger: silentLogger });
await plugin.ready;
const app = express();
app.use('/actions', plugin);
const server = http.createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/actions`;
const db = openDatabase(dbUrl);
const deps = testDeps(db.knex, db.dialect, { clock, logDir });

const repo = host.repo('bench/logs', 1);
const wf = 'on: push\njobs:\n  a: { runs-on: ubuntu, steps: [{ run: x }] }\n';
const sha = host.commit(repo, 'refs/heads/main', { '.forgejo/workflows/ci.yml': wf });
await plugin.hooks.push(pushPayload(repo, 'refs/heads/main', sha));
const runner = await RunnerClient.register(baseUrl, { token: await getOrCreateRegistrationToken(deps, {}), labels: ['ubuntu'] });
const { tasks } = await runner.fetchTask();
const task = tasks[0]!;
const line = (i: number) => `2026-01-05 step output line ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}`;
const t0 = Date.now();

// ingest through the protocol. The requests are encoded before the clock starts: in production the
// runner (a Go process) builds and encodes them, and protobuf-es's reflective create() and toBinary()
// of 100,000 rows cost this shared process about as much as the server's whole ingest, which says
// nothing about the server. What is timed is what the server does: HTTP/1.1 with keep-alive, the
// Connect handler, decoding, and the plugin's transaction per call; the answers are decoded and checked.
const bodies = Array.from({ length: ROWS / BATCH }, (_, b) =>
  toBinary(
    UpdateLogRequestSchema,
    create(UpdateLogRequestSchema, {
      taskId: task.id,
      index: BigInt(b * BATCH),
      noMore: false,
      rows: Array.from({ length: BATCH }, (_, j) => create(LogRowSchema, { time: timestampFromMs(t0 + b * BATCH + j), content: line(b * BATCH + j) })),
    }),
  ),
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const updateLogUrl = new URL(`${baseUrl}/api/actions/runner.v1.RunnerService/UpdateLog`);
function post(body: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      updateLogUrl,
      { method: 'POST', agent, headers: { ...runner.headers(), 'content-type': 'application/proto', 'connect-protocol-version': '1', 'content-length': body.byteLength } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`UpdateLog: ${res.statusCode} ${Buffer.concat(parts).toString()}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
let start = performance.now();
for (let i = 0; i < ROWS; i += BATCH) {
  const res = fromBinary(UpdateLogResponseSchema, await post(bodies[i / BATCH]!));
  if (Number(res.ackIndex) !== i + BATCH) throw new Error(`ack ${res.ackIndex} after ${i + BATCH} rows`);
}
agent.destroy();
const rowsPerS = ROWS / ((performance.now() - start) / 1000);
if (process.env.LOGS_INGEST_ONLY) {
  // for profiling the ingest alone (node --cpu-prof): the figure, then out
  console.log(JSON.stringify({ rows_per_s: Math.round(rowsPerS) }));
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

// baseline: the same rows, bare batched inserts into the same table
start = performance.now();
const offset = 10_000_000;
for (let i = 0; i < ROWS; i += BATCH) {
  await db.knex.transaction(async (trx) => {
    for (let c = 0; c < BATCH; c += 200) {
      await trx('action_log_row').insert(
        Array.from({ length: 200 }, (_, j) => ({ task_id: Number(task.id), index: offset + i + c + j, time: t0 + i + c + j, content: line(i + c + j) })),
      );
    }
  });
}
const baselinePerS = ROWS / ((performance.now() - start) / 1000);
console.log(`UpdateLog through the protocol: ${Math.round(rowsPerS)} rows/s; bare batched insert: ${Math.round(baselinePerS)} rows/s`);

// a 200 MB archive, written as a stream (the archive format: gzip of formatted lines)
const file = 'bench/logs/00/1.log.gz';
fs.mkdirSync(path.dirname(path.join(logDir, file)), { recursive: true });
let written = 0;
let n = 0;
await pipeline(
  (async function* () {
    while (written < ARCHIVE_BYTES) {
      let chunk = '';
      for (let k = 0; k < 1000; k++, n++) chunk += formatLine(t0 + n, line(n));
      written += Buffer.byteLength(chunk);
      yield chunk;
    }
  })(),
  zlib.createGzip({ level: 1 }),
  fs.createWriteStream(path.join(logDir, file)),
);
const child = spawn(process.execPath, ['--import', 'tsx', path.join(path.dirname(new URL(import.meta.url).pathname), 'logs.ts'), 'logs', '--stream', logDir, file], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (b: Buffer) => (out += b.toString()));
await new Promise((r) => child.once('exit', r));
const streamed = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; extra: number };
if (streamed.bytes !== written) throw new Error(`streamed ${streamed.bytes} bytes of ${written}`);
console.log(`streamed a ${(written / 1024 / 1024).toFixed(0)} MB archived log with ${streamed.extra.toFixed(1)} MB extra RSS`);

server.closeAllConnections();
server.close();
await plugin.close();
await db.knex.destroy();
fs.rmSync(work, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'logs',
    rows_per_s: Math.round(rowsPerS),
    baseline_rows_per_s: Math.round(baselinePerS),
    ratio: Number((rowsPerS / baselinePerS).toFixed(3)),
    stream_200mb_extra_rss_mb: Number(streamed.extra.toFixed(1)),
  }),
);
