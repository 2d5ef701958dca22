// Runs, jobs, logs and dispatch of one repository:
// /api/v1/repos/{owner}/{repo}/actions/...
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { Deps } from '../../lib/deps.js';
import type { Service } from '../../lib/service.js';
import { requirePermission, actingUser } from './auth.js';
import { route } from './errors.js';
import { bodyObject, bodyString, idParam, pageQuery, stringQuery } from './params.js';
import { openArchivedJobLog, readJobLog } from '../../lib/logs/index.js';
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
    const { total_count, items } = await service.runs.jobs(repo.id, idParam(req, 'run_id'));
    const { page, limit } = pageQuery(req);
    res.json({ total_count, jobs: items.slice((page - 1) * limit, page * limit) });
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
    // a finished task's log comes from its archive as a stream: a 200 MB log costs a few buffers
    const archived = await openArchivedJobLog(deps, jobId, step === undefined ? {} : { step });
    res.status(200).type('text/plain; charset=utf-8');
    if (archived) {
      await pipeline(archived, res);
      return;
    }
    await streamLog(deps, service, repo.id, jobId, step, follow, req, res);
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

const doneWords = new Set(['success', 'failure', 'cancelled', 'skipped']);

/** Writes the job's log; with follow, keeps the response open and sends new lines until the job ends. */
async function streamLog(deps: Deps, service: Service, repoId: number, jobId: number, step: number | undefined, follow: boolean, req: Request, res: Response): Promise<void> {
  let sent = 0;
  let closed = false;
  req.on('close', () => (closed = true));
  const deadline = Date.now() + 6 * 3600_000;
  for (;;) {
    const lines = await readJobLog(deps, jobId, step === undefined ? {} : { step });
    for (const l of lines.slice(sent)) res.write(formatLine(l.time, l.content));
    sent = Math.max(sent, lines.length);
    if (!follow || closed || Date.now() > deadline) break;
    const job = await service.runs.job(repoId, jobId);
    if (doneWords.has(job.status)) {
      // one more read: the last rows may have landed with the final status
      const last = await readJobLog(deps, jobId, step === undefined ? {} : { step });
      for (const l of last.slice(sent)) res.write(formatLine(l.time, l.content));
      break;
    }
    // follow is a read-only poll of the database: any instance can serve it
    await new Promise((r) => setTimeout(r, 500));
  }
  res.end();
}
