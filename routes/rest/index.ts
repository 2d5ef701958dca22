// The REST API under /api/v1, in Forgejo's shapes.
import express from 'express';
import type { Router } from 'express';
import type { Deps } from '../../lib/deps.js';
import type { Service } from '../../lib/service.js';
import { errorHandler } from './errors.js';
import { repoRoutes } from './repo.js';
import { scopedRoutes } from './scoped.js';
import { Unauthenticated } from '../../lib/errors.js';

export function restApi(deps: Deps, service: Service): Router {
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  const repoScope = scopedRoutes(deps, service, async (req) => ({ repoId: (await service.repositories.find(String(req.params.owner), String(req.params.repo))).id }));
  api.use('/repos/:owner/:repo/actions', repoRoutes(deps, service), repoScope);
  api.use('/orgs/:org/actions', scopedRoutes(deps, service, async (req) => ({ ownerId: await service.repositories.findOwner(String(req.params.org)) })));
  api.use('/user/actions', scopedRoutes(deps, service, async (_req, res) => {
    const user = res.locals.actionsUser as { id?: unknown } | undefined;
    if (typeof user?.id !== 'number') throw new Unauthenticated('the host did not name the signed-in user (res.locals.actionsUser)');
    return { ownerId: user.id };
  }));
  const instance = scopedRoutes(deps, service, async () => ({}));
  api.use('/admin/actions', instance);
  // Forgejo's older path for the instance registration token
  api.use('/admin', instance);
  api.use((_req, res) => {
    res.status(404).json({ message: 'not found' });
  });
  api.use(errorHandler(deps.logger));
  return api;
}
