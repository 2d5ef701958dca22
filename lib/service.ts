// `service`: the typed programmatic API of the plugin, grouped by concern.
// The REST routes are a thin layer over it. Scopes: { repoId } for a
// repository, { ownerId } for a user or organisation, {} for the instance.
import type { Deps } from './deps.js';
import { runService } from './run-service.js';
import { dispatchWorkflow, type DispatchRequest } from './dispatch.js';
import { findOwner, findRepository } from './repositories.js';
import { deleteSecret, listSecrets, setSecret } from './secrets.js';
import { createVariable, deleteVariable, getVariable, listVariables, setVariable, updateVariable } from './variables.js';
import type { Scope } from './scope.js';
import {
  deleteRunner,
  getOrCreateRegistrationToken,
  getRunner,
  listRunners,
  registerRunnerViaApi,
  resetRegistrationToken,
} from './runners.js';
import { readJobLog, type ReadLogOptions } from './logs/index.js';
import { rotateSecretKey } from './keys.js';
import { rotateSigningKey } from './oidc/signing-keys.js';
import { trustUser, revokeTrust } from './trust.js';
import { listSchedules } from './schedules/index.js';

export function createService(deps: Deps) {
  return {
    runs: runService(deps),
    dispatch: (req: DispatchRequest) => dispatchWorkflow(deps, req),
    schedules: { list: (repoId: number) => listSchedules(deps, repoId) },
    logs: {
      /** a job's current log lines, whole or one step */
      job: (jobId: number, opts: ReadLogOptions = {}) => readJobLog(deps, jobId, opts),
    },
    secrets: {
      list: (scope: Scope) => listSecrets(deps, scope),
      set: (scope: Scope, name: string, data: string) => setSecret(deps, scope, name, data),
      delete: (scope: Scope, name: string) => deleteSecret(deps, scope, name),
      /** re-encrypts every secret (and signing key) under a new secretKey */
      rotateKey: (oldKey: string, newKey: string) => rotateSecretKey(deps, oldKey, newKey),
    },
    oidc: {
      /** a new id-token signing key; the old one stays published until its tokens expire */
      rotateSigningKey: () => rotateSigningKey(deps),
    },
    variables: {
      list: (scope: Scope) => listVariables(deps, scope),
      get: (scope: Scope, name: string) => getVariable(deps, scope, name),
      create: (scope: Scope, name: string, value: string) => createVariable(deps, scope, name, value),
      update: (scope: Scope, name: string, value: string, newName?: string) => updateVariable(deps, scope, name, value, newName),
      set: (scope: Scope, name: string, value: string) => setVariable(deps, scope, name, value),
      delete: (scope: Scope, name: string) => deleteVariable(deps, scope, name),
    },
    runners: {
      registrationToken: (scope: Scope) => getOrCreateRegistrationToken(deps, scope),
      resetRegistrationToken: (scope: Scope) => resetRegistrationToken(deps, scope),
      list: (scope: Scope) => listRunners(deps, scope),
      get: (scope: Scope, id: number) => getRunner(deps, scope, id),
      delete: (scope: Scope, id: number) => deleteRunner(deps, scope, id),
      register: (scope: Scope, input: { name: string; description?: string; ephemeral?: boolean }) => registerRunnerViaApi(deps, scope, input),
    },
    trust: {
      /** marks a user's fork pull requests as always trusted in a repository */
      trust: (repoId: number, userId: number) => trustUser(deps, repoId, userId),
      revoke: (repoId: number, userId: number) => revokeTrust(deps, repoId, userId),
    },
    repositories: {
      find: (owner: string, name: string) => findRepository(deps, owner, name),
      findOwner: (login: string) => findOwner(deps, login),
    },
  };
}

export type Service = ReturnType<typeof createService>;
