// Temporary directories for tests and benchmarks, removed when the process
// exits (however mocha or a benchmark ends), so repeated runs do not fill the
// machine's temp directory with databases and log trees.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `forge-actions-${prefix}-`));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
