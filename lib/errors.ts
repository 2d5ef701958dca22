// Typed errors of the domain. Each transport maps them in one place:
// routes/runner/errors.ts to Connect codes, routes/rest/errors.ts to HTTP statuses.

export type ErrorKind =
  | 'not_found'
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'conflict'
  | 'failed_precondition'
  | 'unavailable'
  | 'already_exists'
  | 'internal';

export class ActionsError extends Error {
  readonly kind: ErrorKind;
  /** the field or input the error is about, when there is one */
  readonly field?: string;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.field = options?.field;
    this.name = new.target.name;
  }
}

export class NotFound extends ActionsError {
  constructor(message: string, options?: { cause?: unknown; field?: string }) { super('not_found', message, options); }
}
export class InvalidArgument extends ActionsError {
  constructor(message: string, options?: { cause?: unknown; field?: string }) { super('invalid_argument', message, options); }
}
export class Unauthenticated extends ActionsError {
  constructor(message: string, options?: { cause?: unknown }) { super('unauthenticated', message, options); }
}
export class PermissionDenied extends ActionsError {
  constructor(message: string, options?: { cause?: unknown }) { super('permission_denied', message, options); }
}
export class Conflict extends ActionsError {
  constructor(message: string, options?: { cause?: unknown; field?: string }) { super('conflict', message, options); }
}
export class FailedPrecondition extends ActionsError {
  constructor(message: string, options?: { cause?: unknown }) { super('failed_precondition', message, options); }
}
export class Unavailable extends ActionsError {
  constructor(message: string, options?: { cause?: unknown }) { super('unavailable', message, options); }
}
export class AlreadyExists extends ActionsError {
  constructor(message: string, options?: { cause?: unknown }) { super('already_exists', message, options); }
}

export function isActionsError(e: unknown): e is ActionsError {
  return e instanceof ActionsError;
}

/** SQLSTATE classes a database uses for input it cannot store (class 22: data exception; 54000: a row over a limit) */
function isDatabaseInputError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^22[0-9A-Z]{3}$/.test(code) || code === '54000' || code === 'SQLITE_TOOBIG';
}

/**
 * A database refusal of the caller's data (a NUL character PostgreSQL cannot
 * store, a number out of range, a value over a column's length) as the
 * InvalidArgument it is, without the SQL; null for any other error.
 */
export function databaseInputError(e: unknown): InvalidArgument | null {
  const candidate = isDatabaseInputError(e) ? e : isActionsError(e) && e.kind === 'internal' && isDatabaseInputError(e.cause) ? e.cause : null;
  if (!candidate) return null;
  const code = (candidate as { code: string }).code;
  const reason =
    code === '22021' || code === '22P05'
      ? 'text contains a character the database cannot store (such as NUL)'
      : code === '22001' || code === '54000' || code === 'SQLITE_TOOBIG'
        ? 'a value is too long'
        : code === '22003'
          ? 'a number is out of range'
          : 'a value has the wrong form';
  return new InvalidArgument(`invalid input: ${reason}`, { cause: e });
}
