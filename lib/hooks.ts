// The forge tells the plugin what happened: one async method per event, each
// resolving to the runs it created. A malformed payload is refused with an
// InvalidArgument naming the field, before anything is written.
import type { Deps } from './deps.js';
import { normaliseEvent, validateRepository, type HookName } from './forge-event.js';
import { handleForgeEvent, type CreatedRun, type WorkflowFiles } from './create-runs.js';
import { upsertRepository } from './repositories.js';
import { InvalidArgument } from './errors.js';
import type { Repository } from './types.js';

type Hook = (payload: unknown, options?: { deliveryId?: string }) => Promise<CreatedRun[]>;

export interface Hooks {
  push: Hook;
  create: Hook;
  delete: Hook;
  pullRequest: Hook;
  pullRequestReview: Hook;
  pullRequestComment: Hook;
  issues: Hook;
  issueComment: Hook;
  release: Hook;
  fork: Hook;
  watch: Hook;
  wiki: Hook;
  /** default branch, archived or disabled changed: the stored repository (and its schedules) follow */
  repositoryUpdated(payload: unknown): Promise<CreatedRun[]>;
}

export interface HookListeners {
  /** called after a push to the default branch (with the workflow files the push read, if any) and on repositoryUpdated, to refresh schedules */
  repositoryChanged?(deps: Deps, repo: Repository, sha: string | null, message?: string, workflows?: WorkflowFiles): Promise<void>;
}

export function createHooks(deps: Deps, listeners: HookListeners = {}): Hooks {
  const hook = (name: HookName): Hook => async (payload, options) => {
    const ev = normaliseEvent(name, payload, options?.deliveryId);
    if (!ev) return [];
    const { runs, workflows } = await handleForgeEvent(deps, ev);
    const defaultRef = `refs/heads/${ev.repo.default_branch || 'main'}`;
    if (name === 'push' && ev.ref === defaultRef && listeners.repositoryChanged) await listeners.repositoryChanged(deps, ev.repo, ev.sha, ev.message, workflows);
    return runs;
  };
  return {
    push: hook('push'),
    create: hook('create'),
    delete: hook('delete'),
    pullRequest: hook('pullRequest'),
    pullRequestReview: hook('pullRequestReview'),
    pullRequestComment: hook('pullRequestComment'),
    issues: hook('issues'),
    issueComment: hook('issueComment'),
    release: hook('release'),
    fork: hook('fork'),
    watch: hook('watch'),
    wiki: hook('wiki'),
    async repositoryUpdated(payload) {
      if (!payload || typeof payload !== 'object') throw new InvalidArgument('invalid event payload: expected a JSON object', { field: 'payload' });
      const repo = validateRepository((payload as { repository?: unknown }).repository);
      // schedules first: they ask the host about the repository, and a repository the host refuses
      // (an unknown or unsafe name) must not replace the stored one
      if (listeners.repositoryChanged) await listeners.repositoryChanged(deps, repo as Repository, null);
      await upsertRepository(deps, repo as Repository);
      return [];
    },
  };
}
