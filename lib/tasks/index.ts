// Task assignment and reporting: what the runner protocol's FetchTask,
// UpdateTask and UpdateLog do, transport-neutral.
export { fetchTasks, runsOn, MAX_TASKS_PER_FETCH, type FetchInput, type FetchResult } from './assign.js';
export { updateTask, MAX_OUTPUT_KEY_BYTES, MAX_OUTPUT_VALUE_BYTES, type TaskStateInput, type StepStateInput, type UpdateTaskResult } from './update-task.js';
export { updateLog, MAX_ROWS_PER_CALL, MAX_ROWS_PER_REQUEST, type UpdateLogInput, type LogRowInput } from './update-log.js';
export { stopTask, deleteIfEphemeral } from '../stop-task.js';
export { notQueuedBehind } from './concurrency.js';
export { stepNames, truncateName } from './steps.js';
export { buildNeeds, type TaskNeedData } from './needs.js';
export type { AssignedTask } from './message.js';
export { bumpTasksVersion } from '../../models/tasks-version.js';
