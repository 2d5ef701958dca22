// `on.schedule` specs and cron validation (spec §7.3): exactly five fields,
// robfig descriptors, optional TZ=/CRON_TZ= prefix; UTC by default.
import { Cron } from 'croner';
import { readYaml } from './yaml-source.js';
import { triggersOf } from './triggers.js';
import { PreExecutionErrorCode } from './errors.js';

export interface ScheduleSpec { cron: string; timezone?: string }

/** The cron entries of a workflow (lower-case `cron` keys only, as Forgejo reads them); throws WorkflowError when `on:` is invalid. */
export function scheduleSpecsOf(content: string, file?: string): ScheduleSpec[] {
  const triggers = triggersOf(readYaml(content, file, PreExecutionErrorCode.EventDetectionError));
  return triggers.flatMap((t) => (t.schedules ?? []).filter((s) => s.cron !== ''));
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export type CronCheck =
  | { ok: true; expression: string; timezone: string; every?: string }
  | { ok: false; error: string };

/** Validates one spec as Forgejo's ActionScheduleSpec.Parse would; returns the 5-field expression and zone to schedule with. */
export function validateCron(spec: string): CronCheck {
  let rest = spec.trim();
  let timezone = 'UTC';
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(rest);
  if (tz) {
    timezone = tz[1] as string;
    rest = (tz[2] as string).trim();
    try { new Intl.DateTimeFormat('en-US', { timeZone: timezone }); } catch { return { ok: false, error: `unknown time zone '${timezone}' in '${spec}'` }; }
  }
  if (rest.startsWith('@every ')) {
    const d = rest.slice(7).trim();
    return GO_DURATION.test(d) ? { ok: true, expression: rest, timezone, every: d } : { ok: false, error: `invalid duration in '${spec}'` };
  }
  if (rest.startsWith('@')) {
    const expr = DESCRIPTORS[rest];
    if (!expr) return { ok: false, error: `unrecognized descriptor '${rest}'` };
    rest = expr;
  }
  const fields = rest.split(/\s+/);
  if (fields.length !== 5) return { ok: false, error: `expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length} in '${spec}'` };
  // '?' is robfig's alias of '*' in day fields.
  const expression = fields.map((f) => (f === '?' ? '*' : f)).join(' ');
  try {
    // croner validates ranges, names and the time zone; legacyMode gives the OR rule for day-of-month/day-of-week.
    new Cron(expression, { timezone, paused: true, legacyMode: true }).stop();
  } catch (e) {
    return { ok: false, error: `invalid cron spec '${spec}': ${(e as Error).message}` };
  }
  return { ok: true, expression, timezone };
}
