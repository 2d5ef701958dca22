// Runs, jobs, logs and dispatch of one repository:
// /api/v1/repos/{owner}/{repo}/actions/...
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { Deps } from '../../lib/deps.js';
import type { Service } from '../../lib/service.js';
import { requirePermission, actingUser } from './auth.js';
import { route } from './errors.js';
import { bodyObject, bodyString, idParam, pageQuery, stringQuery } from './params.js';
import { jobLogState, readTaskLogPart } from '../../lib/logs/index.js';
import { pipeline } from 'node:stream/promises';
import { formatLine } from '../../lib/logs/format.js';
import { InvalidArgument } from '../../lib/errors.js';

async function repoOf(service: Service, req: Request) {
  return service.repositories.find(String(req.params.owner), String(req.params.repo));
}

export function repoRoutes(deps: Deps, service: Service): Router {
  const r = express.Router({ mergeParams: true });
  const read = requirePermission(deps, 'read');
  const write = requirePermission(deps, 'write');

  r.get('/runs', read, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const { page, limit } = pageQuery(req);
    const workflowId = stringQuery(req, 'workflow_id');
    const { total_count, items } = await service.runs.list({
      repoId: repo.id,
      status: stringQuery(req, 'status'),
      event: stringQuery(req, 'event'),
      branch: stringQuery(req, 'branch'),
      actor: stringQuery(req, 'actor'),
      workflowId,
      page,
      limit,
    });
    res.json({ total_count, workflow_runs: items });
  }));

  r.get('/runs/:run_id', read, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.get(repo.id, idParam(req, 'run_id')));
  }));

  r.get('/runs/:run_id/jobs', read, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const runId = idParam(req, 'run_id');
    const { total_count, items } = await service.runs.jobs(repo.id, runId, pageQuery(req));
    res.json({ total_count, jobs: items });
  }));

  r.get('/jobs/:job_id', read, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.job(repo.id, idParam(req, 'job_id')));
  }));

  r.get('/jobs/:job_id/logs', read, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const jobId = idParam(req, 'job_id');
    await service.runs.job(repo.id, jobId); // 404 for another repository's job
    const stepRaw = stringQuery(req, 'step');
    const step = stepRaw === undefined ? undefined : Number(stepRaw);
    if (step !== undefined && (!Number.isInteger(step) || step < 0)) throw new InvalidArgument('step must be a non-negative integer', { field: 'step' });
    const follow = stringQuery(req, 'follow') === '1' || stringQuery(req, 'follow') === 'true';
    res.status(200).type('text/plain; charset=utf-8');
    await streamLog(deps, jobId, step, follow, res);
  }));

  r.post('/runs/:run_id/cancel', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.cancel(repo.id, idParam(req, 'run_id')));
  }));

  r.post('/runs/:run_id/approve', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const body = bodyObject(req);
    res.json(await service.runs.approve(repo.id, idParam(req, 'run_id'), actingUser(res).id, { always: body.always === true }));
  }));

  r.post('/runs/:run_id/rerun', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const body = bodyObject(req);
    res.json(await service.runs.rerun(repo.id, idParam(req, 'run_id'), body.failed_only === true ? { kind: 'failed' } : { kind: 'run' }));
  }));

  r.post('/runs/:run_id/rerun-failed-jobs', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.rerun(repo.id, idParam(req, 'run_id'), { kind: 'failed' }));
  }));

  r.post('/jobs/:job_id/rerun', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.rerunJob(repo.id, idParam(req, 'job_id')));
  }));

  r.post('/jobs/:job_id/cancel', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    res.json(await service.runs.cancelJob(repo.id, idParam(req, 'job_id')));
  }));

  r.post('/workflows/:workflow_file/dispatches', write, route(async (req, res) => {
    const repo = await repoOf(service, req);
    const body = bodyObject(req);
    const ref = bodyString(body, 'ref', { required: true, max: 1024 })!;
    const inputs = body.inputs ?? {};
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new InvalidArgument('inputs must be an object', { field: 'inputs' });
    const created = await service.dispatch({ repo, workflowFile: String(req.params.workflow_file), ref, inputs: inputs as Record<string, unknown>, sender: actingUser(res) });
    res.status(201).json(await service.runs.get(repo.id, created.id));
  }));

  return r;
}

/**
 * Writes the job's log; with follow, keeps the response open and sends new
 * lines until the job ends. Each poll reads only the lines not sent yet, and
 * a log archived meanwhile is streamed from the first line not sent: a
 * follower costs the same whatever the log's length.
 */
async function streamLog(deps: Deps, jobId: number, step: number | undefined, follow: boolean, res: Response): Promise<void> {
  let sent = 0;
  let closed = false;
  res.on('close', () => (closed = true));
  const deadline = Date.now() + 6 * 3600_000;
  let { taskId, done } = await jobLogState(deps, jobId);
  for (;;) {
    if (taskId > 0) {
      const part = await readTaskLogPart(deps, taskId, { step, from: sent });
      if ('archive' in part) {
        // archived: the log is complete, and a 200 MB one costs a few buffers
        await pipeline(part.archive, res);
        return;
      }
      for (const l of part.lines) res.write(formatLine(l.time, l.content));
      sent += part.lines.length;
    }
    // the read above came after the job was seen finished, so it had the last rows
    if (done || !follow || closed || Date.now() > deadline) break;
    // follow is a read-only poll of the database: any instance can serve it
    await new Promise((r) => setTimeout(r, 500));
    const now = await jobLogState(deps, jobId);
    // a rerun gives the job a new task: the one followed has ended, one more read has its last lines
    if (taskId > 0 && now.taskId !== taskId) done = true;
    else ({ taskId, done } = now);
  }
  res.end();
}
