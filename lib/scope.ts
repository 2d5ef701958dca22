// The scope of a secret or variable: a repository, an owner (user or
// organisation), or the whole instance (neither). Stored as Forgejo does, with
// 0 for "none"; a repository scope forces owner_id to 0.
import { InvalidArgument } from './errors.js';
import type { ScopeColumns } from '../models/secrets.js';

export interface Scope {
  ownerId?: number;
  repoId?: number;
}

function id(v: unknown, field: string): number {
  if (v === undefined || v === null || v === 0) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgument(`${field}: must be a positive integer`, { field });
  }
  return v;
}

export function scopeColumns(scope: Scope | undefined): ScopeColumns {
  const repoId = id(scope?.repoId, 'repoId');
  const ownerId = id(scope?.ownerId, 'ownerId');
  return repoId ? { owner_id: 0, repo_id: repoId } : { owner_id: ownerId, repo_id: 0 };
}

