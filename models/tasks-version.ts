// Gateway for action_tasks_version: one counter per scope (instance 0/0, owner
// N/0, repository 0/N). A runner whose cached version equals its scope's
// counter is answered "no work" without looking at jobs.
import type { Dialect } from '../lib/db.js';
import type { Executor } from './base.js';
import { nativeRows } from './native.js';

/** Bumps exactly one scope row (a runner's own scope: its first poll, a task it finished). */
export async function bumpScopeVersion(k: Executor, dialect: Dialect, ownerId: number, repoId: number, now: number): Promise<void> {
  // insert-or-increment in one statement, so two instances bumping a missing row never collide
  await nativeRows(
    k,
    dialect,
    'insert into action_tasks_version (owner_id, repo_id, version, created, updated) values (?, ?, 1, ?, ?)' +
      ' on conflict (owner_id, repo_id) do update set version = action_tasks_version.version + 1, updated = excluded.updated',
    [ownerId, repoId, now, now],
  );
}

/**
 * Forgejo's IncreaseTaskVersion: bumps the instance row, then the owner's and
 * the repository's. Call it in the transaction that makes a job `waiting`
 * (insert, unblock, rerun, approval), so runners of every scope that can see
 * the job poll for real again.
 */
export async function bumpTasksVersion(k: Executor, dialect: Dialect, ownerId: number, repoId: number, now = Date.now()): Promise<void> {
  // one statement for the three rows, always in the same order (instance, owner, repo) so concurrent bumps cannot deadlock
  const scopes: Array<[number, number]> = [[0, 0]];
  if (ownerId > 0) scopes.push([ownerId, 0]);
  if (repoId > 0) scopes.push([0, repoId]);
  await nativeRows(
    k,
    dialect,
    `insert into action_tasks_version (owner_id, repo_id, version, created, updated) values ${scopes.map(() => '(?, ?, 1, ?, ?)').join(', ')}` +
      ' on conflict (owner_id, repo_id) do update set version = action_tasks_version.version + 1, updated = excluded.updated',
    scopes.flatMap(([owner, repo]) => [owner, repo, now, now]),
  );
}
