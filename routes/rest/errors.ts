// The one place typed errors become HTTP answers for the REST API:
// `{ "message": ... }` with the status, never a stack trace.
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { databaseInputError, isActionsError, type ActionsError } from '../../lib/errors.js';
import type { Logger } from '../../lib/types.js';

export function httpStatusOf(e: ActionsError): number {
  switch (e.kind) {
    case 'not_found':
      return 404;
    case 'invalid_argument':
      // a workflow_dispatch input that breaks a rule is a 422, as Forgejo's API answers
      return e.field === 'inputs' ? 422 : 400;
    case 'unauthenticated':
      return 401;
    case 'permission_denied':
      return 403;
    case 'conflict':
    case 'already_exists':
    case 'failed_precondition':
      return 409;
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    const refused = databaseInputError(err);
    if (refused) {
      res.status(400).json({ message: refused.message });
      return;
    }
    if (isActionsError(err)) {
      const status = httpStatusOf(err);
      if (status >= 500) logger.error({ err }, 'REST API error');
      res.status(status).json({ message: err.message });
      return;
    }
    const e = err as { type?: string; status?: number; statusCode?: number; expose?: boolean };
    // body-parser errors: malformed JSON, a body over the limit, an unsupported charset or
    // encoding (415); they are the caller's fault and say nothing about the server
    const status = e && typeof e === 'object' ? (e.status ?? e.statusCode) : undefined;
    if (e && typeof e === 'object' && (e.type === 'entity.parse.failed' || e.type === 'entity.too.large' || (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false))) {
      const message = e.type === 'entity.too.large' ? 'request body too large' : status === 415 ? 'unsupported request body charset or encoding' : e.type === undefined ? 'malformed request' : 'malformed JSON body';
      res.status(status ?? 400).json({ message });
      return;
    }
    logger.error({ err }, 'unexpected REST API error');
    res.status(500).json({ message: 'internal error' });
  };
}

/** Express 5 forwards rejected promises to the error handler; this only types the handler. */
export function route(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => fn(req, res).catch(next);
}
