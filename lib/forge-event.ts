// Turns a hook call (the contract's hook name plus the webhook payload) into
// the event Forgejo's notifier would see: its hook-event name, repository,
// sender, ref and pull request. A payload missing an essential field is
// refused with an InvalidArgument naming it, before anything is written.
import { createHash } from 'node:crypto';
import { InvalidArgument } from './errors.js';
import type { Repository } from './types.js';

export type HookName =
  | 'push' | 'create' | 'delete' | 'pullRequest' | 'pullRequestReview' | 'pullRequestComment' | 'issues'
  | 'issueComment' | 'release' | 'fork' | 'watch' | 'wiki';

export interface PullRequestInfo {
  number: number;
  headSha: string;
  headRef: string;
  baseRef: string;
  baseSha: string;
  isFork: boolean;
  posterId: number;
  title: string;
  merged: boolean;
  mergeCommitSha: string;
}

export interface ForgeEvent {
  hook: HookName;
  /** Forgejo's hook-event name (push, pull_request_sync, issue_label, …) */
  event: string;
  payload: Record<string, unknown>;
  repo: Repository;
  sender: { id: number; login: string };
  /** the ref the run records; '' means the default branch */
  ref: string;
  /** the commit when the payload names it; otherwise resolved through the host */
  sha: string;
  pr?: PullRequestInfo;
  /** first line of the commit message or the PR title, for the run title and skip-ci */
  message: string;
  /** derived from the delivery: the same delivery never creates a workflow's run twice */
  deliveryKey: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need<T>(value: unknown, field: string, check: (v: unknown) => v is T, what: string): T {
  if (!check(value)) throw new InvalidArgument(`invalid event payload: ${field} must be ${what}`, { field });
  return value;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
// refs, names and commit ids never hold control characters (PostgreSQL cannot even store NUL)
const isNonEmptyStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096 && !/[\0-\x1f]/.test(v);
const isId = (v: unknown): v is number => isNum(v) && v > 0;
const shortStr = (max: number) => (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && !/[\0-\x1f]/.test(v);
const zeroSha = /^0+$/;

function repository(payload: Obj, field = 'repository'): Repository {
  const repo = need(payload[field], field, isObj, 'an object');
  // the bounds are the stored columns' (and far above any forge's own limits)
  need(repo.id, `${field}.id`, isId, 'a positive integer');
  need(repo.full_name, `${field}.full_name`, shortStr(512), 'a non-empty string of at most 512 characters');
  need(repo.name, `${field}.name`, shortStr(255), 'a non-empty string of at most 255 characters');
  const owner = need(repo.owner, `${field}.owner`, isObj, 'an object');
  need(owner.id, `${field}.owner.id`, isNum, 'an integer');
  need(owner.login, `${field}.owner.login`, shortStr(255), 'a non-empty string of at most 255 characters');
  if (repo.default_branch !== undefined && repo.default_branch !== null) {
    need(repo.default_branch, `${field}.default_branch`, shortStr(255), 'a branch name of at most 255 characters');
  }
  return repo as unknown as Repository;
}

function sender(payload: Obj): { id: number; login: string } {
  const s = payload.sender ?? payload.pusher;
  if (!isObj(s)) throw new InvalidArgument('invalid event payload: sender must be an object', { field: 'sender' });
  need(s.id, 'sender.id', isNum, 'an integer');
  const login = (s.login ?? s.username ?? s.name) as unknown;
  need(login, 'sender.login', isNonEmptyStr, 'a non-empty string');
  return { id: s.id as number, login: login as string };
}

function firstLine(s: unknown): string {
  return typeof s === 'string' ? (s.split('\n')[0] ?? '').replace(/\0/g, '') : '';
}

function fullRef(ref: string, type: unknown): string {
  if (ref.startsWith('refs/')) return ref;
  return type === 'tag' ? `refs/tags/${ref}` : `refs/heads/${ref}`;
}

function pullRequest(payload: Obj, repo: Repository): PullRequestInfo {
  const pr = need(payload.pull_request, 'pull_request', isObj, 'an object');
  const head = need(pr.head, 'pull_request.head', isObj, 'an object');
  const base = need(pr.base, 'pull_request.base', isObj, 'an object');
  const number = (payload.number ?? pr.number) as unknown;
  need(number, 'number', isNum, 'an integer');
  need(head.sha, 'pull_request.head.sha', isNonEmptyStr, 'a commit id');
  need(base.ref, 'pull_request.base.ref', isNonEmptyStr, 'a branch name');
  const headRepo = isObj(head.repo) ? head.repo : undefined;
  const headRepoId = (headRepo?.id ?? head.repo_id) as unknown;
  const user = isObj(pr.user) ? pr.user : {};
  return {
    number: number as number,
    headSha: head.sha as string,
    headRef: isStr(head.ref) ? head.ref : `refs/pull/${number as number}/head`,
    baseRef: base.ref as string,
    baseSha: isStr(base.sha) ? base.sha : '',
    // a head repository that differs from the base one (or is unknown) makes a fork pull request
    isFork: !isNum(headRepoId) || headRepoId !== repo.id,
    posterId: isNum(user.id) ? user.id : 0,
    title: isStr(pr.title) ? pr.title.replace(/\0/g, '') : '',
    merged: pr.merged === true,
    mergeCommitSha: isStr(pr.merge_commit_sha) ? pr.merge_commit_sha : '',
  };
}

const prActionEvent: Record<string, string> = {
  synchronize: 'pull_request_sync',
  synchronized: 'pull_request_sync',
  assigned: 'pull_request_assign',
  unassigned: 'pull_request_assign',
  labeled: 'pull_request_label',
  unlabeled: 'pull_request_label',
  label_updated: 'pull_request_label',
  label_cleared: 'pull_request_label',
  milestoned: 'pull_request_milestone',
  demilestoned: 'pull_request_milestone',
  review_requested: 'pull_request_review_request',
  review_request_removed: 'pull_request_review_request',
};

const issueActionEvent: Record<string, string> = {
  assigned: 'issue_assign',
  unassigned: 'issue_assign',
  labeled: 'issue_label',
  unlabeled: 'issue_label',
  label_updated: 'issue_label',
  label_cleared: 'issue_label',
  milestoned: 'issue_milestone',
  demilestoned: 'issue_milestone',
};

function deliveryKey(hook: string, payload: Obj, deliveryId?: string): string {
  if (deliveryId) return `d:${deliveryId}`.slice(0, 200);
  return `h:${createHash('sha256').update(hook).update('\0').update(JSON.stringify(payload)).digest('hex')}`;
}

/** Checks a repository object the way events do (for repositoryUpdated and dispatch). */
export function validateRepository(repo: unknown, field = 'repository'): Repository {
  return repository({ [field]: repo }, field);
}

export function normaliseEvent(hook: HookName, input: unknown, deliveryId?: string): ForgeEvent | null {
  if (!isObj(input)) throw new InvalidArgument('invalid event payload: expected a JSON object', { field: 'payload' });
  const payload = input;
  const repo = repository(payload, hook === 'fork' && !isObj(payload.repository) ? 'forkee' : 'repository');
  const who = sender(payload);
  const base = { hook, payload, repo, sender: who, deliveryKey: deliveryKey(hook, payload, deliveryId) };
  const action = isStr(payload.action) ? payload.action : '';
  switch (hook) {
    case 'push': {
      const ref = need(payload.ref, 'ref', isNonEmptyStr, 'a ref name');
      const after = need(payload.after, 'after', isNonEmptyStr, 'a commit id');
      if (zeroSha.test(after)) return null; // a deleted ref runs nothing
      const head = isObj(payload.head_commit) ? payload.head_commit : undefined;
      return { ...base, event: 'push', ref: fullRef(ref, 'branch'), sha: after, message: isStr(head?.message) ? head.message.replace(/\0/g, '') : '' };
    }
    case 'create':
    case 'delete': {
      const ref = need(payload.ref, 'ref', isNonEmptyStr, 'a ref name');
      need(payload.ref_type, 'ref_type', (v): v is string => v === 'branch' || v === 'tag', '"branch" or "tag"');
      const sha = isStr(payload.sha) ? payload.sha : '';
      return hook === 'create'
        ? { ...base, event: 'create', ref: fullRef(ref, payload.ref_type), sha, message: '' }
        : { ...base, event: 'delete', ref: '', sha: '', message: '' };
    }
    case 'pullRequest': {
      need(payload.action, 'action', isNonEmptyStr, 'a pull request action');
      const pr = pullRequest(payload, repo);
      const event = Object.hasOwn(prActionEvent, action) ? prActionEvent[action]! : 'pull_request';
      const merged = action === 'closed' && pr.merged && pr.mergeCommitSha;
      return {
        ...base,
        event,
        pr,
        ref: merged ? pr.mergeCommitSha : `refs/pull/${pr.number}/head`,
        sha: merged ? pr.mergeCommitSha : pr.headSha,
        message: pr.title,
      };
    }
    case 'pullRequestReview': {
      const pr = pullRequest(payload, repo);
      const review = isObj(payload.review) ? payload.review : {};
      const kind = String(review.type ?? review.state ?? 'comment').toLowerCase();
      const event = /approv/.test(kind)
        ? 'pull_request_review_approved'
        : /reject|changes/.test(kind)
          ? 'pull_request_review_rejected'
          : 'pull_request_review_comment';
      const sha = isStr(review.commit_id) && review.commit_id ? review.commit_id : pr.headSha;
      // reviews carry no pull request trust decision in Forgejo
      return { ...base, event, ref: sha, sha, message: pr.title };
    }
    case 'pullRequestComment': {
      const pr = pullRequest(payload, repo);
      return { ...base, event: 'pull_request_review_comment', ref: pr.headSha, sha: pr.headSha, message: pr.title };
    }
    case 'issues': {
      need(payload.issue, 'issue', isObj, 'an object');
      return { ...base, event: Object.hasOwn(issueActionEvent, action) ? issueActionEvent[action]! : 'issues', ref: '', sha: '', message: firstLine((payload.issue as Obj).title) };
    }
    case 'issueComment': {
      const issue = need(payload.issue, 'issue', isObj, 'an object');
      need(payload.comment, 'comment', isObj, 'an object');
      const isPull = payload.is_pull === true || isObj(issue.pull_request);
      return { ...base, event: isPull ? 'pull_request_comment' : 'issue_comment', ref: '', sha: '', message: firstLine(issue.title) };
    }
    case 'release': {
      const release = need(payload.release, 'release', isObj, 'an object');
      const tag = need(release.tag_name, 'release.tag_name', isNonEmptyStr, 'a tag name');
      return { ...base, event: 'release', ref: `refs/tags/${tag}`, sha: '', message: firstLine(release.name ?? tag) };
    }
    case 'fork':
      return { ...base, event: 'fork', ref: '', sha: '', message: '' };
    case 'watch':
      return { ...base, event: 'watch', ref: '', sha: '', message: '' };
    case 'wiki':
      return { ...base, event: 'wiki', ref: '', sha: '', message: '' };
  }
}

/** Hook events that get commit statuses, and the event word their context shows. */
export function commitStatusEvent(event: string, triggerEvent: string): string | null {
  if (event === 'push' || event === 'release') return event;
  if (['pull_request', 'pull_request_sync', 'pull_request_label', 'pull_request_assign', 'pull_request_milestone'].includes(event)) {
    return triggerEvent === 'pull_request_target' ? 'pull_request_target' : 'pull_request';
  }
  return null;
}
