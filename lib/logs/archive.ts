// Writes and removes the archived (finished) log of a task under config.logDir
// (stream.ts reads it). A reader on any instance sees no archive or a whole
// one: the task is marked archived only after the first write, and a later
// write replaces the file through a temporary file and a rename.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { formatLine } from './format.js';

const gzip = promisify(zlib.gzip);

/** the archive's path under logDir; a name that would lead out of it is refused */
export function resolveIn(logDir: string, filename: string): string {
  const root = path.resolve(logDir);
  const full = path.resolve(root, filename);
  if (!full.startsWith(root + path.sep)) throw new Error(`log file name escapes the log directory: ${filename}`);
  return full;
}

/** archives up to this much text are compressed on the calling thread (see writeArchive) */
const SYNC_GZIP_MAX_BYTES = 256 * 1024;

export async function writeArchive(logDir: string, filename: string, rows: Array<{ time: number; content: string }>): Promise<number> {
  const text = rows.map((r) => formatLine(r.time, r.content)).join('');
  const data = Buffer.from(text, 'utf8');
  const full = resolveIn(logDir, filename);
  // Compressing a small log costs less than a trip through the thread pool; the file system calls go
  // through the pool, since creating a file can take a millisecond.
  const gz = data.length <= SYNC_GZIP_MAX_BYTES ? zlib.gzipSync(data) : await gzip(data);
  // The first archival creates the file under its final name: nobody reads it before the task is marked
  // archived, which happens after this returns. A file already there is from an earlier attempt (a crash,
  // a second archiver) and may be read: it is replaced whole, through a temporary file and a rename.
  if (await writeNew(full, gz)) return data.length;
  const tmp = `${full}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, gz);
  await fs.rename(tmp, full);
  return data.length;
}

/** writes a file that must not exist yet, creating its directory when missing; false when it exists */
async function writeNew(full: string, data: Buffer): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(full, data, { flag: 'wx' });
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT' || attempt > 0) throw e;
      await fs.mkdir(path.dirname(full), { recursive: true });
    }
  }
}

export async function removeArchive(logDir: string, filename: string): Promise<void> {
  await fs.rm(resolveIn(logDir, filename), { force: true });
}
