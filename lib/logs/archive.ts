// Writes and removes the archived (finished) log of a task under config.logDir
// (stream.ts reads it). A reader on any instance sees no archive or a whole
// one: the task is marked archived only after the first write, and a later
// write replaces the file through a temporary file and a rename.
import fs, { type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
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

type Rows = Array<{ time: number; content: string }>;

function formatted(rows: Rows): Buffer {
  return Buffer.from(rows.map((r) => formatLine(r.time, r.content)).join(''), 'utf8');
}

/** a log small enough to hold whole; returns its uncompressed size */
export async function writeArchive(logDir: string, filename: string, rows: Rows): Promise<number> {
  const data = formatted(rows);
  // compressing a small log costs less than a trip through the thread pool
  const gz = data.length <= SYNC_GZIP_MAX_BYTES ? zlib.gzipSync(data) : await gzip(data);
  await writeTarget(resolveIn(logDir, filename), async (handle) => {
    await handle.writeFile(gz);
    await handle.close();
  });
  return data.length;
}

/** a log of any length, page by page, in bounded memory; returns its uncompressed size and its lines */
export async function writeArchiveStream(logDir: string, filename: string, pages: AsyncIterable<Rows>): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  await writeTarget(resolveIn(logDir, filename), (handle) =>
    pipeline(
      (async function* () {
        for await (const page of pages) {
          const data = formatted(page);
          bytes += data.length;
          lines += page.length;
          yield data;
        }
      })(),
      zlib.createGzip(),
      handle.createWriteStream(),
    ),
  );
  return { bytes, lines };
}

/**
 * The first archival creates the file under its final name: nobody reads it
 * before the task is marked archived, which happens after this returns. A
 * file already there is from an earlier attempt (a crash, a second archiver)
 * and may be read: it is replaced whole, through a temporary file and a
 * rename. `write` must close the handle (a write stream does so itself).
 */
async function writeTarget(full: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  let handle = await openNew(full);
  const temp = handle ? undefined : `${full}.${randomBytes(6).toString('hex')}.tmp`;
  handle ??= await fs.open(temp!, 'wx');
  try {
    await write(handle);
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(temp ?? full, { force: true });
    throw e;
  }
  if (temp) await fs.rename(temp, full);
}

/** opens a file that must not exist yet, creating its directory when missing; null when it exists */
async function openNew(full: string): Promise<FileHandle | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.open(full, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return null;
      if (code !== 'ENOENT' || attempt > 0) throw e;
      await fs.mkdir(path.dirname(full), { recursive: true });
    }
  }
}

export async function removeArchive(logDir: string, filename: string): Promise<void> {
  await fs.rm(resolveIn(logDir, filename), { force: true });
}
