// Forgejo's one status integer, shared by runs, jobs, tasks and steps. 0..4
// coincide with the runner protocol's Result enum on purpose.
export const Status = {
  unknown: 0,
  success: 1,
  failure: 2,
  cancelled: 3,
  skipped: 4,
  waiting: 5,
  running: 6,
  blocked: 7,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
export type StatusName = keyof typeof Status;

const names: StatusName[] = ['unknown', 'success', 'failure', 'cancelled', 'skipped', 'waiting', 'running', 'blocked'];

export function statusName(s: number): StatusName {
  return names[s] ?? 'unknown';
}
export function statusFromName(name: string): Status | undefined {
  // own keys only: a name like "constructor" must not reach inherited properties
  return Object.hasOwn(Status, name) ? (Status as Record<string, Status>)[name] : undefined;
}
export function isDone(s: number): boolean {
  return s >= 1 && s <= 4;
}
export const doneStatuses: Status[] = [Status.success, Status.failure, Status.cancelled, Status.skipped];
export const pendingStatuses: Status[] = [Status.unknown, Status.waiting, Status.running, Status.blocked];

/** The runner Result a status stands for: itself when done, else UNSPECIFIED (0). */
export function asResult(s: number): number {
  return isDone(s) ? s : 0;
}

/**
 * Forgejo's AggregateJobStatus: the run status (and a `needs` result over
 * matrix siblings) from job statuses, first matching rule wins.
 */
export function aggregateStatus(statuses: number[]): Status {
  if (statuses.length > 0 && statuses.every((s) => s === Status.skipped)) return Status.skipped;
  if (statuses.length > 0 && statuses.every((s) => s === Status.success || s === Status.skipped)) return Status.success;
  if (statuses.includes(Status.cancelled)) return Status.cancelled;
  if (statuses.includes(Status.failure)) return Status.failure;
  if (statuses.includes(Status.running)) return Status.running;
  if (statuses.includes(Status.waiting)) return Status.waiting;
  if (statuses.includes(Status.blocked)) return Status.blocked;
  return Status.unknown;
}
