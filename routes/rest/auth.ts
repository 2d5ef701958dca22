// Every REST route asks the host whether the request may do what it needs
// (read, write or admin). Without host.authorize, only requests the host
// marked as admin (res.locals.actionsAdmin = true) get through.
import type { Request, RequestHandler, Response } from 'express';
import type { Deps } from '../../lib/deps.js';
import type { Permission } from '../../lib/types.js';
import { PermissionDenied, Unauthenticated } from '../../lib/errors.js';

export function requirePermission(deps: Deps, need: Permission): RequestHandler {
  return async (req, res, next) => {
    try {
      if (res.locals.actionsAdmin === true) return next();
      const allowed = deps.host.authorize ? await deps.host.authorize(req, need) : false;
      if (allowed) return next();
      if (!req.headers.authorization && res.locals.actionsUser === undefined) throw new Unauthenticated('authentication required');
      throw new PermissionDenied(`${need} permission required`);
    } catch (e) {
      next(e);
    }
  };
}

/** the acting user, as the host put it on res.locals.actionsUser */
export function actingUser(res: Response): { id: number; login: string } {
  const u = res.locals.actionsUser as { id?: unknown; login?: unknown } | undefined;
  return { id: typeof u?.id === 'number' ? u.id : 0, login: typeof u?.login === 'string' ? u.login : 'api' };
}

export type { Request };
