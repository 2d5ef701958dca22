// `npm run bench -- <name>` runs bench/<name>.ts; each benchmark prints its own
// figures and, as its last line, one JSON object with "bench": "<name>".
// (chaos, fuzz and soak have npm scripts of their own.)
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'chaos.ts', 'fuzz.ts', 'soak.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name) || !existsSync(path.join(here, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
await import(pathToFileURL(path.join(here, `${name}.ts`)).href);
