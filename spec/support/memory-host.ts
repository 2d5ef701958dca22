// A HostAdapter over repositories held in memory: commits are file maps, refs
// point at commits. It is a complete host for tests that do not need git.
import { createHash } from 'node:crypto';
import type { CommitStatus, HostAdapter, Repository } from '../../lib/index.js';

export interface RecordedStatus extends CommitStatus {
  repo: string;
  sha: string;
}

export class MemoryHost implements HostAdapter {
  readonly commits = new Map<string, Record<string, string>>();
  readonly refs = new Map<string, string>();
  readonly statuses: RecordedStatus[] = [];
  readonly writers = new Set<number>();
  readonly repos = new Map<string, Repository>();

  repo(fullName: string, id: number, extra: Partial<Repository> = {}): Repository {
    const [owner, name] = fullName.split('/') as [string, string];
    const repo: Repository = {
      id,
      name,
      full_name: fullName,
      owner: { id: id * 1000, login: owner },
      default_branch: 'main',
      private: false,
      html_url: `http://localhost:3000/${fullName}`,
      ...extra,
    };
    this.repos.set(fullName, repo);
    return repo;
  }

  /** records a commit of `files` on `ref` (refs/heads/... or refs/tags/...) and returns its sha */
  commit(repo: Repository, ref: string, files: Record<string, string>): string {
    const sha = createHash('sha1').update(`${repo.full_name}\0${ref}\0${JSON.stringify(files)}\0${this.commits.size}`).digest('hex');
    this.commits.set(`${repo.full_name}@${sha}`, files);
    this.refs.set(`${repo.full_name}@${ref}`, sha);
    return sha;
  }

  async listFiles(repo: Repository, sha: string, dir: string): Promise<string[] | null> {
    const files = this.commits.get(`${repo.full_name}@${sha}`);
    if (!files) throw new Error(`commit ${sha} not found`);
    const prefix = `${dir.replace(/\/$/, '')}/`;
    const inside = Object.keys(files).filter((p) => p.startsWith(prefix));
    return inside.length ? inside.map((p) => p.slice(prefix.length)) : null;
  }

  async readFile(repo: Repository, sha: string, path: string): Promise<string | null> {
    return this.commits.get(`${repo.full_name}@${sha}`)?.[path] ?? null;
  }

  async resolveRef(repo: Repository, ref: string): Promise<string | null> {
    if (/^[0-9a-f]{40}$/.test(ref) && this.commits.has(`${repo.full_name}@${ref}`)) return ref;
    return this.refs.get(`${repo.full_name}@${ref}`) ?? this.refs.get(`${repo.full_name}@refs/heads/${ref}`) ?? null;
  }

  async getRepository(fullName: string): Promise<Repository | null> {
    return this.repos.get(fullName) ?? null;
  }

  async userCanWrite(_repo: Repository, userId: number): Promise<boolean> {
    return this.writers.has(userId);
  }

  async createCommitStatus(repo: Repository, sha: string, status: CommitStatus): Promise<void> {
    this.statuses.push({ ...status, repo: repo.full_name, sha });
  }
}

/** a push payload of `sha` on `ref` */
export function pushPayload(repo: Repository, ref: string, sha: string, message = 'a change', extra: Record<string, unknown> = {}) {
  return {
    ref,
    before: '0000000000000000000000000000000000000000',
    after: sha,
    repository: repo,
    sender: { id: 7, login: 'alice' },
    pusher: { id: 7, login: 'alice' },
    head_commit: { id: sha, message, timestamp: '2026-01-05T10:00:00Z', added: [], removed: [], modified: [] },
    commits: [{ id: sha, message, added: [], removed: [], modified: [] }],
    ...extra,
  };
}
