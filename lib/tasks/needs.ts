// Task.needs: for each job key the job needs, the aggregate result over the
// jobs with that key (matrix siblings) and their merged outputs (spec §4.7).
import type { Executor } from '../../models/base.js';
import type { Dialect } from '../db.js';
import { JobGateway, type JobRow } from '../../models/jobs.js';
import { collectNeeds, type NeedResult } from '../needs.js';

export type TaskNeedData = NeedResult;

export async function buildNeeds(k: Executor, dialect: Dialect, job: JobRow): Promise<Record<string, TaskNeedData>> {
  if (job.needs.length === 0) return {};
  return collectNeeds(k, await new JobGateway(k, dialect).ofRunByKeys(job.run_id, job.needs), job.needs);
}
