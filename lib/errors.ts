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
