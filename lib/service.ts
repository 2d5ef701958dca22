// `service`: the typed programmatic API of the plugin, grouped by concern.
// The REST routes are a thin layer over it.
import type { Deps } from './deps.js';
import { runService } from './run-service.js';
import { dispatchWorkflow, type DispatchRequest } from './dispatch.js';
import { findRepository } from './repositories.js';

export function createService(deps: Deps) {
  return {
    runs: runService(deps),
    dispatch: (req: DispatchRequest) => dispatchWorkflow(deps, req),
    repositories: {
      find: (owner: string, name: string) => findRepository(deps, owner, name),
    },
  };
}

export type Service = ReturnType<typeof createService>;
