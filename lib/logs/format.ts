// Forgejo's log line format: `<UTC time, 7 fractional digits>Z <content>\n`,
// with a newline inside the content escaped as `\n` and the content cut at
// 64 KiB (possibly mid-rune, as Forgejo does).
export const MAX_LINE_SIZE = 65_536;

export interface LogLine {
  index: number;
  /** unix ms */
  time: number;
  content: string;
}

/** cuts content to MAX_LINE_SIZE bytes (and makes NUL storable) */
export function capContent(raw: string): string {
  // NUL is valid UTF-8 but PostgreSQL text cannot hold it: it is shown as U+FFFD, on every database alike
  const content = raw.includes('\0') ? raw.replace(/\0/g, '\uFFFD') : raw;
  if (content.length * 3 <= MAX_LINE_SIZE) return content; // cheap path: cannot exceed the cap
  const buf = Buffer.from(content, 'utf8');
  return buf.length <= MAX_LINE_SIZE ? content : buf.subarray(0, MAX_LINE_SIZE).toString('utf8');
}

export function formatTime(ms: number): string {
  // Date gives millisecond precision; Forgejo writes 100 ns, so the last 4 digits are zeros
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function formatLine(time: number, content: string): string {
  return `${formatTime(time)} ${capContent(content).replace(/\n/g, '\\n')}\n`;
}

const TIME_LEN = formatTime(0).length;
const FOUR_DIGIT_YEARS = [Date.parse('0000-01-01T00:00:00.000Z'), Date.parse('9999-12-31T23:59:59.999Z')] as const;

/**
 * Buffer.byteLength(formatLine(time, content)) without building the line
 * (UpdateLog counts the size of every row it stores). `content` must be
 * capped already (capContent).
 */
export function formattedLineBytes(time: number, content: string): number {
  let newlines = 0;
  for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) newlines++;
  const timeLen = time >= FOUR_DIGIT_YEARS[0] && time <= FOUR_DIGIT_YEARS[1] ? TIME_LEN : formatTime(time).length;
  return timeLen + 1 + Buffer.byteLength(content) + newlines + 1;
}

/** parses one stored line back: the time ends at the first space */
export function parseLine(line: string, index: number): LogLine {
  const sp = line.indexOf(' ');
  const stamp = sp < 0 ? line : line.slice(0, sp);
  const t = Date.parse(stamp.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  return { index, time: Number.isNaN(t) ? 0 : t, content: sp < 0 ? '' : line.slice(sp + 1).replace(/\\n/g, '\n') };
}

/** the archive name of a task's log (Forgejo's `<owner>/<repo>/<id%256 as %02x>/<id>.log`, gzip-compressed) */
export function logFilename(repoFullName: string, taskId: number): string {
  const safe = repoFullName.replace(/\.\.+/g, '_').replace(/^\/+/, '') || 'unknown/unknown';
  return `${safe}/${(taskId % 256).toString(16).padStart(2, '0')}/${taskId}.log.gz`;
}
