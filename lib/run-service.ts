// The programmatic API over runs and jobs (the REST routes call it): listing,
// reading, cancelling, approving and rerunning. Every change is one
// transaction; events and commit statuses follow the commit.
import type { Deps } from './deps.js';
import { RunGateway, type RunRow } from '../models/runs.js';
import { JobGateway, type JobRow } from '../models/jobs.js';
import type { Job, Run } from './types.js';
import { InvalidArgument, NotFound } from './errors.js';
import { Status, statusFromName } from './status.js';
import { cancelJob, cancelRun } from './cancel.js';
import { approveRun, trustUser } from './trust.js';
import { rerun, type RerunMode } from './rerun.js';
import { changeRun } from './run-change.js';
import { jobView, runView } from './views.js';

export interface RunFilter {
  repoId: number;
  status?: string;
  event?: string;
  branch?: string;
  actor?: string;
  workflowId?: string;
  page?: number;
  limit?: number;
}

export interface Page<T> {
  total_count: number;
  items: T[];
}

async function repoName(deps: Deps, repoId: number): Promise<string> {
  const row = await deps.knex('action_repository').where({ id: repoId }).first('full_name');
  return row?.full_name ?? String(repoId);
}

export function runService(deps: Deps) {
  const runs = () => new RunGateway(deps.knex, deps.dialect);
  const jobs = () => new JobGateway(deps.knex, deps.dialect);

  async function runRow(repoId: number, runId: number): Promise<RunRow> {
    const run = await runs().get(runId);
    if (!run || run.repo_id !== repoId) throw new NotFound(`run ${runId} not found`);
    return run;
  }

  async function jobRow(repoId: number, jobId: number): Promise<JobRow> {
    const job = await jobs().get(jobId);
    if (!job || job.repo_id !== repoId) throw new NotFound(`job ${jobId} not found`);
    return job;
  }

  const service = {
    async list(filter: RunFilter): Promise<Page<Run>> {
      const limit = Math.min(Math.max(filter.limit ?? 30, 1), 100);
      const page = Math.max(filter.page ?? 1, 1);
      const where: Partial<RunRow> = { repo_id: filter.repoId };
      if (filter.status) {
        const s = statusFromName(filter.status);
        if (s === undefined) throw new InvalidArgument(`unknown status "${filter.status}"`, { field: 'status' });
        where.status = s;
      }
      if (filter.event) where.event = filter.event;
      if (filter.branch) where.ref = filter.branch.startsWith('refs/') ? filter.branch : `refs/heads/${filter.branch}`;
      if (filter.actor) where.trigger_user = filter.actor;
      if (filter.workflowId) where.workflow_id = filter.workflowId;
      const [{ n }] = (await deps.knex('action_run').where(where).count({ n: '*' })) as Array<{ n: number | string }>;
      const rows = await runs().list(where, { limit, offset: (page - 1) * limit });
      const name = await repoName(deps, filter.repoId);
      return { total_count: Number(n), items: rows.map((r) => runView(deps, r, name)) };
    },
    async get(repoId: number, runId: number): Promise<Run> {
      return runView(deps, await runRow(repoId, runId), await repoName(deps, repoId));
    },
    /** every job of the run, or one page of them: only the page's jobs get a view (each may query for its waiting reason) */
    async jobs(repoId: number, runId: number, paging?: { page: number; limit: number }): Promise<Page<Job>> {
      const run = await runRow(repoId, runId);
      const all = await jobs().ofRun(run.id);
      const shown = paging ? all.slice((paging.page - 1) * paging.limit, paging.page * paging.limit) : all;
      return { total_count: all.length, items: await Promise.all(shown.map((j) => jobView(deps, run, j, all))) };
    },
    async job(repoId: number, jobId: number): Promise<Job> {
      const job = await jobRow(repoId, jobId);
      const run = (await runs().get(job.run_id))!;
      return jobView(deps, run, job, await jobs().ofRun(run.id));
    },
    async cancel(repoId: number, runId: number): Promise<Run> {
      await runRow(repoId, runId);
      await changeRun(deps, runId, (trx, outbox) => cancelRun(trx, deps, outbox, runId));
      return service.get(repoId, runId);
    },
    async cancelJob(repoId: number, jobId: number): Promise<Job> {
      const job = await jobRow(repoId, jobId);
      await changeRun(deps, job.run_id, (trx, outbox) => cancelJob(trx, deps, outbox, job));
      return service.job(repoId, jobId);
    },
    /** approves a run waiting for approval; `always` also trusts its pull request's author from now on */
    async approve(repoId: number, runId: number, approverId: number, options: { always?: boolean } = {}): Promise<Run> {
      const run = await runRow(repoId, runId);
      if (options.always && run.pull_request_poster_id) {
        await trustUser(deps, repoId, run.pull_request_poster_id);
        const pending = (await deps.knex('action_run')
          .where({ repo_id: repoId, pull_request_poster_id: run.pull_request_poster_id, need_approval: true })
          .select('id')) as Array<{ id: number }>;
        for (const { id } of pending) await changeRun(deps, id, (trx, outbox) => approveRun(trx, deps, outbox, id, approverId));
      } else {
        await changeRun(deps, runId, (trx, outbox) => approveRun(trx, deps, outbox, runId, approverId));
      }
      return service.get(repoId, runId);
    },
    async rerun(repoId: number, runId: number, mode: RerunMode = { kind: 'run' }): Promise<Run> {
      await runRow(repoId, runId);
      if (mode.kind === 'job') await jobRow(repoId, mode.jobId);
      await changeRun(deps, runId, (trx, outbox) => rerun(trx, deps, outbox, runId, mode));
      return service.get(repoId, runId);
    },
    async rerunJob(repoId: number, jobId: number): Promise<Job> {
      const job = await jobRow(repoId, jobId);
      await changeRun(deps, job.run_id, (trx, outbox) => rerun(trx, deps, outbox, job.run_id, { kind: 'job', jobId }));
      return service.job(repoId, jobId);
    },
  };
  return service;
}

export type RunService = ReturnType<typeof runService>;
export { Status };
