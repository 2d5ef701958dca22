// The one place typed errors become Connect errors. Messages of typed errors
// are meant for the runner; anything else is logged and answered `internal`
// with a short message, never a stack trace.
import { Code, ConnectError } from '@connectrpc/connect';
import type { ErrorKind } from '../../lib/errors.js';
import { databaseInputError, isActionsError } from '../../lib/errors.js';
import type { Logger } from '../../lib/types.js';

const codes: Record<ErrorKind, Code> = {
  not_found: Code.NotFound,
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  conflict: Code.Aborted,
  failed_precondition: Code.FailedPrecondition,
  unavailable: Code.Unavailable,
  already_exists: Code.AlreadyExists,
  internal: Code.Internal,
};

export function toConnectError(e: unknown, logger: Logger, procedure: string): ConnectError {
  if (e instanceof ConnectError) return e;
  const refused = databaseInputError(e);
  if (refused) return new ConnectError(refused.message, Code.InvalidArgument);
  if (isActionsError(e)) {
    if (e.kind === 'internal') logger.error({ err: e, procedure }, 'runner call failed');
    return new ConnectError(e.message, codes[e.kind]);
  }
  logger.error({ err: e, procedure }, 'runner call failed unexpectedly');
  return new ConnectError('internal error', Code.Internal);
}

/** runs a handler body and maps whatever it throws */
export async function mapErrors<T>(logger: Logger, procedure: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    throw toConnectError(e, logger, procedure);
  }
}
