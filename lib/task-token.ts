// The automatic token of a task (GITHUB_TOKEN / GITEA_TOKEN / FORGEJO_TOKEN)
// resolved for the host's own API: valid only while its task runs, write
// access to its own repository, read-only for fork pull requests
// (job-lifecycle §8.2). Forgejo's LRU cache that skips the running check is
// deliberately not reproduced: a finished task's token stops working at once.
import type { Deps } from './deps.js';
import type { TaskTokenInfo } from './types.js';
import { Status } from './status.js';
import { hashToken } from './tokens.js';
import { taskById, taskByTokenHash, type TaskAuthRow } from '../models/task-auth.js';
import { verifyRuntimeToken } from './oidc/runtime-token.js';

const TASK_TOKEN = /^[0-9a-f]{40}$/;

function info(task: TaskAuthRow | undefined): TaskTokenInfo | null {
  if (!task || task.status !== Status.running) return null;
  return { taskId: task.id, repoId: Number(task.repo_id), ownerId: Number(task.owner_id), access: task.is_fork_pull_request ? 'read' : 'write' };
}

/**
 * `{ taskId, repoId, ownerId, access }` for the token of a running task, else
 * null. Accepts the 40-hex task token and, like Forgejo, the runtime JWT
 * (ACTIONS_RUNTIME_TOKEN, recognised by its dots).
 */
export async function verifyTaskToken(deps: Deps, token: unknown): Promise<TaskTokenInfo | null> {
  if (typeof token !== 'string') return null;
  if (TASK_TOKEN.test(token)) return info(await taskByTokenHash(deps.knex, hashToken(token)));
  if (token.includes('.')) {
    const claims = await verifyRuntimeToken(deps, token);
    return claims ? info(await taskById(deps.knex, claims.taskId)) : null;
  }
  return null;
}
