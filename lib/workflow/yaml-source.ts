// Reads a workflow file with the `yaml` package (YAML 1.2 core schema, so `on`
// stays the string "on") and keeps a way back from a value's path to its line
// and column for error messages.
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar } from 'yaml';
import type { Document, Node } from 'yaml';
import { WorkflowError } from './errors.js';
import type { PreExecutionErrorCode } from './errors.js';

export type YamlPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string | undefined;
  value: unknown;
  /** Line/column (1-based) of the value at `path`, or of its closest existing ancestor. */
  locate(path: YamlPath): { line: number; column: number } | undefined;
  /** A WorkflowError positioned at `path`. */
  error(path: YamlPath, message: string, code?: PreExecutionErrorCode): WorkflowError;
}

// One event reads the same file for detection, concurrency and planning: parsed
// documents are kept in a small LRU keyed by content (a file's text never
// changes under its key, and callers only read the document), while each call
// still gets its own plain value to work on.
const parsed = new Map<string, { doc: Document; lineCounter: LineCounter }>();
const PARSED_MAX = 64;

function parseCached(content: string): { doc: Document; lineCounter: LineCounter } {
  const hit = parsed.get(content);
  if (hit) {
    parsed.delete(content);
    parsed.set(content, hit);
    return hit;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length === 0) {
    parsed.set(content, { doc, lineCounter });
    if (parsed.size > PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  }
  return { doc, lineCounter };
}

export function readYaml(content: string, file?: string, code?: PreExecutionErrorCode): YamlSource {
  let doc: Document;
  let lineCounter: LineCounter;
  try {
    ({ doc, lineCounter } = parseCached(content));
  } catch (e) {
    throw new WorkflowError(`invalid YAML: ${(e as Error).message}`, { file, code });
  }
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new WorkflowError(`invalid YAML: ${first.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col, code });
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  const locate = (path: YamlPath) => {
    let node: unknown = doc.contents;
    let found: Node | undefined = isNodeWithRange(node) ? node : undefined;
    for (const key of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === key);
        next = pair?.value ?? pair?.key;
      } else if (isSeq(node) && typeof key === 'number') next = node.items[key];
      if (!isNodeWithRange(next)) break;
      node = next;
      found = next;
    }
    if (!found?.range) return undefined;
    const p = lineCounter.linePos(found.range[0]);
    return { line: p.line, column: p.col };
  };
  return {
    file,
    value,
    locate,
    error(path, message, errCode) {
      const pos = locate(path);
      return new WorkflowError(message, { file, line: pos?.line, column: pos?.column, code: errCode ?? code });
    },
  };
}

function isNodeWithRange(n: unknown): n is Node {
  return !!n && typeof n === 'object' && 'range' in n && Array.isArray((n as Node).range);
}

/** Plain-object test used everywhere a YAML mapping is expected. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
