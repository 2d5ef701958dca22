// Public surface of the pure workflow engine (no database, no I/O): files come
// in as strings, reusable workflows through a callback.

/** Plans a workflow into single-job documents (see "Contract: the planner"). */
export { planWorkflow } from './planner.js';
/** Maximum reusable-workflow nesting depth (5, as jobparser). */
export { RECURSION_LIMIT, MATRIX_LIMIT } from './planner.js';
export type { PlanOptions, PlannedDocument, ReusableKind, ReusableRef } from './planner.js';

/** planJobs: plans and describes each job; serializePayload: the stored workflow_payload text. */
export { planJobs, serializePayload, describeDocument, singleJob } from './payload.js';
export type { PlannedJob } from './payload.js';

/** Typed errors with file/line/column and Forgejo's pre-execution error codes. */
export { WorkflowError, PreExecutionErrorCode, UnsupportedReusableWorkflowFetch } from './errors.js';

/** Reusable-workflow reference parsing and call ids. */
export { parseReusableRef, workflowCallId } from './reusable.js';

/** Event detection, directory precedence, skip-ci and the event families (default-branch, pull request). */
export {
  detectWorkflows, chooseWorkflowDir, workflowIdOf, skipCi, shouldSkipEvent,
  triggerAcceptsEvent, triggerMatches, fallbackTriggerEvent, WORKFLOW_DIRS, DEFAULT_SKIP_CI_STRINGS, DEFAULT_BRANCH_EVENTS, PULL_REQUEST_EVENTS,
} from './events.js';
export type { DetectInput, DetectedWorkflow, DetectionError, DetectedSchedule, MatchInput } from './events.js';

/** `on:` parsing (ParseRawOn). */
export { readTriggers } from './triggers.js';
export type { TriggerEvent } from './triggers.js';

/** GitHub filter patterns for branches, tags and paths. */
export { patternToRegExp, matchesPositive, matchesIgnore, PatternError } from './patterns.js';

/** Workflow-level concurrency (spec §5.1). */
export { evaluateWorkflowConcurrency } from './concurrency.js';
export type { WorkflowConcurrency, ConcurrencyOptions, ConcurrencyType } from './concurrency.js';

/** `on.schedule` specs and cron validation. */
export { scheduleSpecsOf, validateCron } from './schedule.js';
export type { ScheduleSpec, CronCheck } from './schedule.js';

/** workflow_dispatch inputs. */
export { validateDispatchInputs, dispatchInputsOf, DISPATCH_INPUT_LIMIT } from './dispatch.js';
export type { DispatchInput, DispatchInputs, DispatchInputType, DispatchValue } from './dispatch.js';

/** Job-level `if` with success()/failure()/always()/cancelled(). */
export { evaluateJobIf } from './job-if.js';
export type { JobIfContext } from './job-if.js';

/** Expression helpers (planning-time contexts). */
export { makeScope, evaluateExpression, evaluateTemplate, interpolate } from './expressions.js';
export type { ScopeInput, Json } from './expressions.js';
