// Streams an archived (gzip) task log back in bounded memory: the archive is
// decompressed chunk by chunk and only the requested part is passed on, by
// line range (a step's log_index/log_length) or by byte range of the
// uncompressed text. Memory stays at a few stream buffers whatever the log's
// size, unlike reading the archive whole.
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { resolveIn } from './archive.js';

export interface ArchiveRange {
  /** first line (0-based) and the line after the last, e.g. a step's log_index and log_index + log_length */
  fromLine?: number;
  toLine?: number;
  /** byte range of the uncompressed text, end exclusive */
  fromByte?: number;
  toByte?: number;
}

/** keeps whole lines with index in [from, to): counts newlines without splitting the chunk into strings */
class LineRange extends Transform {
  private line = 0;
  constructor(private readonly from: number, private readonly to: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.line >= this.to) return done();
    let start = this.line >= this.from ? 0 : -1;
    let i = 0;
    while (i < chunk.length && this.line < this.to) {
      const nl = chunk.indexOf(10, i);
      if (nl < 0) break;
      this.line++;
      i = nl + 1;
      if (this.line === this.from) start = i;
      if (this.line === this.to) {
        if (start >= 0) this.push(chunk.subarray(start, i));
        return done();
      }
    }
    if (start >= 0 && start < chunk.length) this.push(chunk.subarray(start));
    done();
  }
}

/** keeps bytes in [from, to) */
class ByteRange extends Transform {
  private offset = 0;
  constructor(private readonly from: number, private readonly to: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const start = Math.max(this.from - this.offset, 0);
    const end = Math.min(this.to - this.offset, chunk.length);
    if (start < end) this.push(chunk.subarray(start, end));
    this.offset += chunk.length;
    done();
  }
}

const CHUNK = 64 * 1024;

function decode(file: Readable, range: ArchiveRange): Readable {
  const forward = <T extends Transform>(from: Readable, to: T): T => {
    from.on('error', (e) => to.destroy(e));
    // a reader that goes away (a closed response) must not leave the file open
    to.once('close', () => from.destroy());
    return from.pipe(to);
  };
  let s: Readable = forward(file, zlib.createGunzip({ chunkSize: CHUNK }));
  if (range.fromLine !== undefined || range.toLine !== undefined) s = forward(s, new LineRange(range.fromLine ?? 0, range.toLine ?? Number.MAX_SAFE_INTEGER));
  if (range.fromByte !== undefined || range.toByte !== undefined) s = forward(s, new ByteRange(range.fromByte ?? 0, range.toByte ?? Number.MAX_SAFE_INTEGER));
  return s;
}

/** the archive's text (or the requested part) as a stream; errors with ENOENT when there is no archive */
export function streamArchive(logDir: string, filename: string, range: ArchiveRange = {}): Readable {
  return decode(fs.createReadStream(resolveIn(logDir, filename), { highWaterMark: CHUNK }), range);
}

/**
 * The same, with the file opened first: null when there is no archive. An
 * answer can then still say "no log" instead of failing mid-response (the
 * expiry pass removes the file before it marks the task expired).
 */
export async function openArchive(logDir: string, filename: string, range: ArchiveRange = {}): Promise<Readable | null> {
  let file: FileHandle;
  try {
    file = await fsp.open(resolveIn(logDir, filename));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return decode(file.createReadStream({ highWaterMark: CHUNK }), range);
}
