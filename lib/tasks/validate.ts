// Input checks shared by UpdateTask and UpdateLog: bad input is refused with
// a typed error before anything is written.
import { InvalidArgument } from '../errors.js';

// a runner's clock is its own; only times no real clock can show are refused
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

export function checkTime(ms: number | undefined, field: string): void {
  if (ms === undefined || ms === 0) return;
  if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) throw new InvalidArgument(`${field}: timestamp out of range`, { field });
}

export function checkNonNegative(v: number, field: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgument(`${field}: must be a non-negative integer`, { field });
}

export function checkResult(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 4) throw new InvalidArgument(`${field}: unknown result ${v}`, { field });
}
