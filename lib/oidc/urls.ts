// The URLs the plugin hands out for OIDC, from publicUrl and mountPath. Forgejo
// builds them from AppURL; here the service lives under the mount path.
import type { Deps } from '../deps.js';

/** e.g. https://forge.example/actions/api/actions (no trailing slash): the id-token issuer */
export function actionsApiBase(deps: Pick<Deps, 'config'>): string {
  return `${deps.config.publicUrl.replace(/\/+$/, '')}${deps.config.mountPath}/api/actions`;
}

export function issuer(deps: Pick<Deps, 'config'>): string {
  return actionsApiBase(deps);
}

export function jwksUri(deps: Pick<Deps, 'config'>): string {
  return `${actionsApiBase(deps)}/.well-known/keys`;
}

/** `placeholder=true` is there so that the client can append `&audience=…` */
export function idTokenRequestUrl(deps: Pick<Deps, 'config'>, runId: number): string {
  return `${actionsApiBase(deps)}/_apis/pipelines/workflows/${runId}/idtoken?placeholder=true`;
}
