// OIDC discovery, JWKS and the id-token endpoint for jobs, under /api/actions.
// Translation only: the rules live in lib/oidc.
import express from 'express';
import type { Router } from 'express';
import type { Deps } from '../lib/deps.js';
import { jwks, openidConfiguration } from '../lib/oidc/discovery.js';
import { IdTokenError, issueIdToken } from '../lib/oidc/id-token.js';

export function oidcRouter(deps: Deps): Router {
  const router = express.Router();

  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json(openidConfiguration(deps));
  });

  router.get('/.well-known/keys', async (_req, res) => {
    // short: after a rotation verifiers meet a new kid, and jose's remote sets refetch on an unknown kid anyway
    res.set('Cache-Control', 'public, max-age=300').json(await jwks(deps));
  });

  router.get('/_apis/pipelines/workflows/:runId/idtoken', async (req, res) => {
    try {
      const audience = typeof req.query.audience === 'string' ? req.query.audience : undefined;
      const value = await issueIdToken(deps, { authorization: req.get('authorization'), runId: req.params.runId, audience });
      res.set('Cache-Control', 'no-store').json({ value });
    } catch (e) {
      if (e instanceof IdTokenError) {
        res.status(e.status).json({ message: e.message });
        return;
      }
      deps.logger.error({ err: e }, 'id-token request failed');
      res.status(500).json({ message: 'Error runner api creating the id token' });
    }
  });

  // a path the router cannot decode (a bad percent-encoding in run_id) is the caller's fault; without
  // this, Express's default handler would answer with an HTML page holding a stack trace
  router.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ message: 'malformed request' });
      return;
    }
    deps.logger.error({ err }, 'OIDC route failed');
    res.status(500).json({ message: 'internal error' });
  });

  return router;
}
