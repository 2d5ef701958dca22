// The runner protocol as Express middleware: Connect (binary protobuf and
// JSON) over HTTP/1.1, mounted at /api/actions inside the plugin router.
import { expressConnectMiddleware } from '@connectrpc/connect-express';
import type { RequestHandler } from 'express';
import type { Deps } from '../../lib/deps.js';
import { runnerRoutes } from './service.js';

/** a runner's log backlog after a long outage can be large; beyond this a request is refused */
const READ_MAX_BYTES = 64 * 1024 * 1024;

export function runnerProtocol(deps: Deps): RequestHandler {
  return expressConnectMiddleware({ routes: runnerRoutes(deps), readMaxBytes: READ_MAX_BYTES }) as RequestHandler;
}
