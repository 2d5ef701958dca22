// Next fire times of one schedule spec. The syntax check is the workflow
// engine's validateCron (five fields, robfig descriptors, TZ=/CRON_TZ=
// prefixes); croner computes calendar times, and `@every <Go duration>` is a
// constant delay with no time zone, as in robfig/cron.
import { Cron } from 'croner';
import { validateCron } from '../workflow/index.js';

export type SpecTimer = { ok: true; next(after: Date): Date | null } | { ok: false; error: string };

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** a Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds */
export function parseGoDuration(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * GO_UNITS[m[2] as string]!;
  return total;
}

/**
 * A timer for `spec`; `timezone` is the workflow's `timezone:` key, used when
 * the spec has no TZ= prefix of its own. Without either, times are UTC.
 */
export function specTimer(spec: string, timezone = ''): SpecTimer {
  const check = validateCron(spec);
  if (!check.ok) return { ok: false, error: check.error };
  if (check.every !== undefined) {
    // robfig rounds the delay to whole seconds, and never below one second
    const delay = Math.max(1000, Math.round(parseGoDuration(check.every) / 1000) * 1000);
    return { ok: true, next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + delay) };
  }
  const hasPrefix = /^\s*(?:CRON_TZ|TZ)=/.test(spec);
  const zone = !hasPrefix && timezone ? timezone : check.timezone;
  let cron: Cron;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    cron = new Cron(check.expression, { timezone: zone, paused: true, legacyMode: true });
  } catch (e) {
    return { ok: false, error: `invalid time zone '${zone}' for '${spec}': ${(e as Error).message}` };
  }
  return { ok: true, next: (after) => cron.nextRun(after) };
}

/** the first fire time strictly after `after`, in unix ms; 0 when the spec is invalid or never fires again */
export function nextFireTime(spec: string, timezone: string, after: Date): number {
  const t = specTimer(spec, timezone);
  if (!t.ok) return 0;
  return t.next(after)?.getTime() ?? 0;
}
