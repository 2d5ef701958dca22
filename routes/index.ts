// Mounts every transport under the plugin router.
import type { Router } from 'express';
import type { Deps } from '../lib/deps.js';
import { runnerProtocol } from './runner/index.js';
import { oidcRouter } from './oidc.js';
import { restApi } from './rest/index.js';
import type { Service } from '../lib/service.js';

export function mountRoutes(router: Router, deps: Deps, ready: Promise<void>, service: Service): void {
  let started = false;
  let failed: unknown;
  ready.then(
    () => (started = true),
    (e: unknown) => (failed = e),
  );
  // requests that arrive before migrations finish wait for them; after a failed start they get 503
  router.use(async (_req, res, next) => {
    if (started) return next();
    if (failed === undefined) await ready.catch(() => {});
    if (started) return next();
    res.status(503).json({ message: 'actions plugin is not available: it failed to start' });
  });
  // the runner protocol first: every poll goes through it, and it passes any other path on at once
  router.use('/api/actions', runnerProtocol(deps));
  router.use('/api/actions', oidcRouter(deps));
  router.use('/api/v1', restApi(deps, service));
}
