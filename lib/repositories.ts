// The repository objects the host sent, kept for work that starts without an
// event (schedules, commit statuses, dispatch).
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import type { Repository } from './types.js';
import { NotFound } from './errors.js';

export async function upsertRepository(deps: Deps, repo: Repository): Promise<void> {
  const row = {
    id: repo.id,
    owner_id: repo.owner.id,
    full_name: repo.full_name,
    default_branch: repo.default_branch ?? '',
    archived: !!repo.archived,
    disabled: !!repo.disabled,
    data: JSON.stringify(repo),
    updated: nowMs(deps),
  };
  await deps.knex('action_repository').insert(row).onConflict('id').merge();
}

export async function getRepository(deps: Deps, repoId: number): Promise<Repository | null> {
  const row = await deps.knex('action_repository').where({ id: repoId }).first('data');
  return row ? (JSON.parse(row.data) as Repository) : null;
}

/** A repository by owner and name: from the store, else from the host. */
export async function findRepository(deps: Deps, owner: string, name: string): Promise<Repository> {
  const row = await deps.knex('action_repository').where({ full_name: `${owner}/${name}` }).first('data');
  if (row) return JSON.parse(row.data) as Repository;
  const fromHost = deps.host.getRepository ? await deps.host.getRepository(`${owner}/${name}`) : null;
  if (!fromHost) throw new NotFound(`repository ${owner}/${name} not found`);
  await upsertRepository(deps, fromHost);
  return fromHost;
}

/** An owner (user or organisation) id by login, from the repositories the host has sent (LIKE only narrows; the exact check is below). */
export async function findOwner(deps: Deps, login: string): Promise<number> {
  const rows = (await deps.knex('action_repository').where('full_name', 'like', `${login}/%`).select('owner_id', 'full_name').limit(50)) as Array<{ owner_id: number; full_name: string }>;
  const row = rows.find((r) => r.full_name.split('/')[0] === login);
  if (!row) throw new NotFound(`owner ${login} not found`);
  return Number(row.owner_id);
}
