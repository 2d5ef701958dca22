// The variables a run sees (instance, then owner, then repository; later wins).
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import type { RunRow } from '../models/runs.js';

export async function variablesForRun(k: Executor, _deps: Deps, run: Pick<RunRow, 'owner_id' | 'repo_id'>): Promise<Record<string, string>> {
  const rows = (await k('action_variable')
    .where((q) => q.where({ owner_id: 0, repo_id: 0 }).orWhere({ owner_id: run.owner_id, repo_id: 0 }).orWhere({ owner_id: 0, repo_id: run.repo_id }))
    .select('owner_id', 'repo_id', 'name', 'data')) as Array<{ owner_id: number; repo_id: number; name: string; data: string }>;
  const rank = (r: { owner_id: number; repo_id: number }) => (r.repo_id ? 2 : r.owner_id ? 1 : 0);
  rows.sort((a, b) => rank(a) - rank(b));
  return Object.fromEntries(rows.map((r) => [r.name, r.data]));
}
