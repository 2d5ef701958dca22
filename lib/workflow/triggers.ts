// Reads `on:` the way jobparser.ParseRawOn does (spec §2.1): a scalar, a list
// of event names, or a mapping of events to filters. Shapes it rejects make the
// whole file invalid (pre-execution error 1 at detection time).
import { readYaml, isMapping } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';
import { PreExecutionErrorCode } from './errors.js';

export interface TriggerEvent {
  /** The key under `on:` (case-sensitive). */
  name: string;
  /** Filters: each value a list of strings (a string filter is wrapped). */
  filters: Record<string, string[]>;
  /** `schedule` entries. */
  schedules?: { cron: string; timezone?: string }[];
}

const MAPPING_FILTERS: Record<string, string[]> = {
  workflow_dispatch: ['inputs'],
  workflow_call: ['inputs', 'outputs'],
};

/** Parses the `on:` of a workflow already read; throws a positioned WorkflowError (code 1). */
export function triggersOf(src: YamlSource): TriggerEvent[] {
  const code = PreExecutionErrorCode.EventDetectionError;
  const root = src.value;
  const on = isMapping(root) ? root['on'] : undefined;
  if (!isMapping(root) || !('on' in root) || on === undefined) {
    throw src.error([], 'unexpected yaml node in `on`: the workflow has no `on:` key', code);
  }
  if (typeof on === 'string') return [{ name: on, filters: {} }];
  if (Array.isArray(on)) {
    return on.map((e, i) => {
      if (typeof e !== 'string') throw src.error(['on', i], `invalid value in \`on\` list: expected an event name, got ${JSON.stringify(e)}`, code);
      return { name: e, filters: {} };
    });
  }
  if (!isMapping(on)) throw src.error(['on'], `unexpected value for \`on\`: ${JSON.stringify(on)}`, code);
  const events: TriggerEvent[] = [];
  for (const [name, value] of Object.entries(on)) {
    if (value === null || value === undefined) { events.push({ name, filters: {} }); continue; }
    if (Array.isArray(value)) {
      if (name !== 'schedule') throw src.error(['on', name], `event ${name}: a list is only allowed for \`schedule\`; use a mapping of filters`, code);
      const schedules = value.map((item, i) => {
        if (!isMapping(item)) throw src.error(['on', name, i], 'each `schedule` entry must be a mapping like {cron: "0 0 * * *"}', code);
        const cronKey = Object.keys(item).find((k) => k.toLowerCase() === 'cron');
        const cron = cronKey === undefined ? undefined : item[cronKey];
        if (cronKey !== undefined && typeof cron !== 'string') throw src.error(['on', name, i, cronKey], '`cron` must be a string', code);
        const tz = item['timezone'];
        return { cron: cronKey === 'cron' ? (cron as string) : '', ...(typeof tz === 'string' ? { timezone: tz } : {}) };
      });
      events.push({ name, filters: {}, schedules });
      continue;
    }
    if (!isMapping(value)) throw src.error(['on', name], `event ${name}: expected a mapping of filters, got ${JSON.stringify(value)}`, code);
    const filters: Record<string, string[]> = {};
    for (const [key, f] of Object.entries(value)) {
      if (isMapping(f)) {
        if (MAPPING_FILTERS[name]?.includes(key)) continue;
        throw src.error(['on', name, key], `event ${name}: \`${key}\` must be a string or a list of strings, not a mapping`, code);
      }
      if (typeof f === 'string') filters[key] = [f];
      else if (Array.isArray(f)) {
        filters[key] = f.map((x, i) => {
          if (typeof x !== 'string') throw src.error(['on', name, key, i], `event ${name}: \`${key}\` must only hold strings, got ${JSON.stringify(x)}`, code);
          return x;
        });
      } else if (f === null || f === undefined) filters[key] = [];
      else throw src.error(['on', name, key], `event ${name}: \`${key}\` must be a string or a list of strings`, code);
    }
    // jobparser discards the filters of these two events.
    events.push({ name, filters: name === 'workflow_dispatch' || name === 'workflow_call' ? {} : filters });
  }
  return events;
}

/** Reads a workflow and parses its `on:` (code 1 on any failure). */
export function readTriggers(content: string, file?: string): TriggerEvent[] {
  return triggersOf(readYaml(content, file, PreExecutionErrorCode.EventDetectionError));
}
