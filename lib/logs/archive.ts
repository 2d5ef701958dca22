// Writes and reads the archived (finished) log of a task under config.logDir.
// Written atomically (temp file, then rename), so a reader on any instance
// sees either no archive or a whole one, and a retried archival overwrites.
import fs from 'node:fs/promises';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { formatLine, parseLine, type LogLine } from './format.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

function resolveIn(logDir: string, filename: string): string {
  const root = path.resolve(logDir);
  const full = path.resolve(root, filename);
  if (!full.startsWith(root + path.sep)) throw new Error(`log file name escapes the log directory: ${filename}`);
  return full;
}

/** archives up to this much text are compressed and written synchronously (see writeArchive) */
const SYNC_MAX_BYTES = 256 * 1024;

export async function writeArchive(logDir: string, filename: string, rows: Array<{ time: number; content: string }>): Promise<number> {
  const text = rows.map((r) => formatLine(r.time, r.content)).join('');
  const data = Buffer.from(text, 'utf8');
  const full = resolveIn(logDir, filename);
  const tmp = `${full}.${randomBytes(6).toString('hex')}.tmp`;
  if (data.length <= SYNC_MAX_BYTES) {
    // Most logs are small, and this runs inside the transaction that finishes the task (on SQLite it
    // holds the only connection): a few synchronous calls of well under a millisecond beat five trips
    // through the thread pool (mkdir, gzip, open, write, rename) that each wait behind the event loop.
    const gz = zlib.gzipSync(data);
    try {
      writeFileSync(tmp, gz);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(tmp, gz);
    }
    renameSync(tmp, full);
    return data.length;
  }
  await fs.mkdir(path.dirname(full), { recursive: true });
  await fs.writeFile(tmp, await gzip(data));
  await fs.rename(tmp, full);
  return data.length;
}

/** the archived lines, or null when the archive does not exist (expired or never written) */
export async function readArchive(logDir: string, filename: string): Promise<LogLine[] | null> {
  let data: Buffer;
  try {
    data = await fs.readFile(resolveIn(logDir, filename));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const text = (await gunzip(data)).toString('utf8');
  if (text === '') return [];
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.map((l, i) => parseLine(l, i));
}

export async function removeArchive(logDir: string, filename: string): Promise<void> {
  await fs.rm(resolveIn(logDir, filename), { force: true });
}
