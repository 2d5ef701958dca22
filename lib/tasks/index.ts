// Task assignment and reporting: what the runner protocol's FetchTask,
// UpdateTask and UpdateLog do, transport-neutral.
export { fetchTasks } from './assign.js';
export { updateTask } from './update-task.js';
export { updateLog } from './update-log.js';
export type { AssignedTask } from './message.js';
