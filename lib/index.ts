// The package entry point: the factory, the git host adapter, the pure planner
// and the public types.
export { actionsPlugin } from './plugin.js';
export type { ActionsPlugin } from './plugin.js';
export type { ActionsPluginOptions } from './options.js';
export { gitHost } from './githost.js';
export type { GitHostOptions } from './githost.js';
export type { Repository, HostAdapter, CommitStatus, Permission, Clock, Logger, Run, Job, StatusWord, TaskTokenInfo } from './types.js';
export {
  ActionsError,
  NotFound,
  InvalidArgument,
  Unauthenticated,
  PermissionDenied,
  Conflict,
  FailedPrecondition,
  Unavailable,
  AlreadyExists,
} from './errors.js';
export { planWorkflow, makeScope, interpolate, evaluateExpression } from './workflow/index.js';
export type { PlanOptions, ScopeInput } from './workflow/index.js';
export { RunnerClient, TaskReporter, Result, protocolClients } from './client/runner-client.js';
export type { Task, RunnerCredentials, RegisterOptions, FetchOptions, FetchOutcome } from './client/runner-client.js';
