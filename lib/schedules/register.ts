// Registration (spec §7.2, §7.5): the default branch's scheduled workflows
// become schedule rows with their specs, replacing the repository's previous
// set in one transaction. Called after a push to the default branch and on
// repositoryUpdated. Archived or disabled repositories keep no schedules, and
// their pending scheduled runs are cancelled; so are those of an old default
// branch.
import type { Deps } from '../deps.js';
import { nowMs } from '../deps.js';
import type { Repository } from '../types.js';
import { advisoryXactLock } from '../../models/base.js';
import { ScheduleGateway, type NewSpec } from '../../models/schedules.js';
import { readWorkflowFiles, type WorkflowFiles } from '../create-runs.js';
import { detectWorkflows } from '../workflow/index.js';
import { truncateBytes } from '../text.js';
import { specTimer } from './cron.js';
import { cancelScheduledRuns } from './cancel.js';

/** the prefixes of reasons this module writes when it disables a workflow itself; a changed file lifts them */
export const AUTO_DISABLED = ['workflow no longer parses: ', 'scheduled run failed: '];

export const SCHEDULE_EVENT_PAYLOAD = JSON.stringify({ action: 'schedule' });

/** the `repositoryChanged` hook listener: brings the repository's schedules in line with its default branch */
export async function refreshSchedules(deps: Deps, repo: Repository, sha: string | null, message?: string, workflows?: WorkflowFiles): Promise<void> {
  const branch = repo.default_branch || 'main';
  if (repo.archived || repo.disabled) {
    await removeSchedules(deps, repo.id);
    await cancelScheduledRuns(deps, repo.id, null);
    return;
  }
  const refs = await new ScheduleGateway(deps.knex, deps.dialect).refs(repo.id);
  for (const ref of refs) {
    // the default branch moved: the old branch's schedules and pending scheduled runs go (§7.5)
    if (ref !== branch) await cancelScheduledRuns(deps, repo.id, ref);
  }
  const head = sha ?? (deps.host.resolveRef ? await deps.host.resolveRef(repo, `refs/heads/${branch}`) : null);
  if (!head) {
    if (refs.some((r) => r !== branch)) await removeSchedules(deps, repo.id);
    return;
  }
  await registerSchedules(deps, repo, branch, head, sha ? 'push' : 'schedule', message, workflows);
}

async function removeSchedules(deps: Deps, repoId: number): Promise<void> {
  await deps.knex.transaction(async (trx) => {
    await advisoryXactLock(trx, deps.dialect, `schedules:${repoId}`);
    await new ScheduleGateway(trx, deps.dialect).deleteOfRepo(repoId);
  });
}

/** Replaces the repository's schedules with those of commit `sha` on `branch`; `workflows` are its files when the caller already read them. */
export async function registerSchedules(deps: Deps, repo: Repository, branch: string, sha: string, event: string, message?: string, workflows?: WorkflowFiles): Promise<void> {
  const { dir, files } = workflows?.sha === sha ? workflows : await readWorkflowFiles(deps, repo, sha);
  const detected = detectWorkflows({ files, event: 'push', payload: {}, changedFiles: null, detectSchedules: true });
  // Forgejo's title is the commit's first line; without the push message, a run on that commit has it
  const titleRow = message ? { title: message.split('\n')[0] ?? '' } : ((await deps.knex('action_run').where({ repo_id: repo.id, commit_sha: sha }).first('title')) as { title: string } | undefined);
  await deps.knex.transaction(async (trx) => {
    // pushes handled by several instances at once must not interleave their delete and insert
    await advisoryXactLock(trx, deps.dialect, `schedules:${repo.id}`);
    const gateway = new ScheduleGateway(trx, deps.dialect);
    const now = nowMs(deps);
    const before = await gateway.ofRepo(repo.id);
    const disabled = await gateway.disabledWorkflows(repo.id);
    await gateway.deleteOfRepo(repo.id);
    const base = {
      repo_id: repo.id,
      owner_id: repo.owner.id,
      workflow_directory: dir,
      trigger_user_id: -2,
      ref: branch,
      commit_sha: sha,
      event,
      event_payload: SCHEDULE_EVENT_PAYLOAD,
      created: now,
      updated: now,
    };
    for (const s of detected.schedules) {
      const old = before.find((b) => b.workflow_id === s.workflowId);
      const reason = disabled.get(s.workflowId);
      if (reason !== undefined && AUTO_DISABLED.some((p) => reason.startsWith(p)) && old?.content !== s.content) {
        // the file changed since it was disabled for failing: give the new version its chance
        await trx('action_disabled_workflow').where({ repo_id: repo.id, workflow_id: s.workflowId }).delete();
        disabled.delete(s.workflowId);
      }
      const id = await gateway.insert({
        ...base,
        title: truncateBytes(titleRow?.title || s.workflowId, 255),
        specs: s.specs.map((p) => p.cron),
        workflow_id: s.workflowId,
        content: s.content,
        disabled_reason: disabled.get(s.workflowId) ?? '',
      });
      const specs: NewSpec[] = s.specs.map((p) => {
        const timer = specTimer(p.cron, p.timezone ?? '');
        // an invalid spec is kept with next = 0 (never due) so that listing can say why; the others fire
        const next = timer.ok ? (timer.next(new Date(now))?.getTime() ?? 0) : 0;
        return { repo_id: repo.id, schedule_id: id, spec: p.cron, timezone: p.timezone ?? '', next, prev: 0, created: now, updated: now };
      });
      await gateway.insertSpecs(specs);
    }
    for (const e of detected.errors) {
      // a scheduled workflow that no longer parses stays listed, disabled with the parser's words
      const old = before.find((b) => b.workflow_id === e.workflowId);
      if (!old || detected.schedules.some((s) => s.workflowId === e.workflowId)) continue;
      const reason = `${AUTO_DISABLED[0]}${e.message}`;
      // no spec rows: it cannot fire; push events still report the parse error as a failed run
      await gateway.insert({ ...base, title: old.title, specs: old.specs, workflow_id: e.workflowId, content: old.content, disabled_reason: reason });
    }
  });
}
