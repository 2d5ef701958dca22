// A HostAdapter over bare repositories `<root>/<owner>/<name>.git`, through the
// git command line. Arguments are passed as an array, never through a shell.
import { execFile } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import type { HostAdapter, Repository } from './types.js';
import { InvalidArgument, NotFound } from './errors.js';

export interface GitHostOptions {
  root: string;
  /** extra methods (authorize, userCanWrite, createCommitStatus, …) a host adds */
  extend?: Partial<HostAdapter>;
}

const shaPattern = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function git(gitDir: string, args: string[], maxBuffer = 64 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['--git-dir', gitDir, ...args], { maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve(stdout);
    });
  });
}

function safeSegment(s: string, what: string): string {
  if (!s || s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new InvalidArgument(`invalid ${what} "${s}"`);
  return s;
}

function safeRelative(p: string): string {
  const norm = path.posix.normalize(p.replace(/^\/+/, ''));
  if (norm.startsWith('..') || norm.includes('\0')) throw new InvalidArgument(`invalid path "${p}"`);
  return norm === '.' ? '' : norm;
}

function safeRev(rev: string): string {
  // a revision never starts with "-": that would be read as an option
  if (!rev || rev.startsWith('-') || /[\s\0]/.test(rev)) throw new InvalidArgument(`invalid revision "${rev}"`);
  return rev;
}

export function gitHost(options: GitHostOptions): HostAdapter {
  const root = path.resolve(options.root);

  const gitDirOf = (repo: Repository): string => {
    const owner = safeSegment(String(repo.owner?.login ?? repo.full_name?.split('/')[0] ?? ''), 'owner');
    const name = safeSegment(String(repo.name ?? repo.full_name?.split('/')[1] ?? ''), 'repository name');
    const dir = path.join(root, owner, `${name}.git`);
    if (!fs.existsSync(dir)) throw new NotFound(`repository ${owner}/${name} not found under ${root}`);
    return dir;
  };

  const commitExists = async (dir: string, sha: string): Promise<boolean> => {
    try {
      await git(dir, ['cat-file', '-e', `${safeRev(sha)}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  };

  const requireCommit = async (dir: string, repo: Repository, sha: string) => {
    if (!(await commitExists(dir, sha))) throw new NotFound(`commit ${sha} not found in ${repo.full_name}`);
  };

  /**
   * Runs a command on a path at commit `sha` (named as `sha^{commit}` in
   * `args`, so a tree or blob id fails like a missing commit). Only a failure
   * pays for telling a missing commit (NotFound) from a missing path (null).
   */
  const atCommit = async (dir: string, repo: Repository, sha: string, args: string[]): Promise<string | null> => {
    try {
      // a revision that could pass as an option never reaches git (requireCommit refuses it too)
      safeRev(sha);
      return await git(dir, args);
    } catch {
      await requireCommit(dir, repo, sha);
      return null;
    }
  };

  const host: HostAdapter = {
    async listFiles(repo, sha, dir) {
      const gitDir = gitDirOf(repo);
      const rel = safeRelative(dir);
      const treeish = rel ? `${sha}^{commit}:${rel}` : `${sha}^{commit}^{tree}`;
      const out = await atCommit(gitDir, repo, sha, ['ls-tree', '-r', '--name-only', '-z', treeish]);
      return out === null ? null : out.split('\0').filter(Boolean);
    },
    async readFile(repo, sha, file) {
      const gitDir = gitDirOf(repo);
      const rel = safeRelative(file);
      return atCommit(gitDir, repo, sha, ['cat-file', 'blob', `${sha}^{commit}:${rel}`]);
    },
    async resolveRef(repo, ref) {
      const gitDir = gitDirOf(repo);
      try {
        return (await git(gitDir, ['rev-parse', '--verify', '--quiet', `${safeRev(ref)}^{commit}`])).trim() || null;
      } catch {
        return null;
      }
    },
    async changedFiles(repo, base, head) {
      const gitDir = gitDirOf(repo);
      await requireCommit(gitDir, repo, head);
      const zero = !base || /^0+$/.test(base) || !(shaPattern.test(base) ? await commitExists(gitDir, base) : true);
      const args = zero
        ? ['diff-tree', '--no-commit-id', '--name-only', '-r', '-z', '--root', safeRev(head)]
        : ['diff', '--name-only', '-z', safeRev(base), safeRev(head)];
      const out = await git(gitDir, args);
      return out.split('\0').filter(Boolean);
    },
    async getRepository(fullName) {
      const [owner, name] = fullName.split('/');
      if (!owner || !name) return null;
      const dir = path.join(root, safeSegment(owner, 'owner'), `${safeSegment(name, 'repository name')}.git`);
      if (!fs.existsSync(dir)) return null;
      let head = 'main';
      try {
        head = (await git(dir, ['symbolic-ref', '--short', 'HEAD'])).trim() || 'main';
      } catch {
        /* detached or empty: keep main */
      }
      return { id: 0, name, full_name: `${owner}/${name}`, owner: { id: 0, login: owner }, default_branch: head };
    },
    ...options.extend,
  };
  return host;
}
