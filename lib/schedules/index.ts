// Schedules: registration from the default branch, firing, listing.
export { refreshSchedules, registerSchedules } from './register.js';
export { fireDueSchedules, type FireResult } from './fire.js';
export { listSchedules, type ScheduleInfo, type ScheduleSpecInfo } from './list.js';
export { specTimer, nextFireTime } from './cron.js';
