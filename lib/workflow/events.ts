// Which workflows a forge event starts (spec §1.3–§2.6): directory precedence,
// event-name mapping, activity types, branch/tag/path filters, skip-ci markers
// and which events run on the default branch.
import { readTriggers } from './triggers.js';
import type { TriggerEvent } from './triggers.js';
import { matchesPositive, matchesIgnore, typeGlobToRegExp, PatternError } from './patterns.js';
import { WorkflowError } from './errors.js';
import { isMapping } from './yaml-source.js';

/** Workflow directories in Forgejo's order; the first one that exists wins, even if empty. */
export const WORKFLOW_DIRS = ['.forgejo/workflows', '.gitea/workflows', '.github/workflows'] as const;

/** Forgejo's default `[actions] SKIP_WORKFLOW_STRINGS`. */
export const DEFAULT_SKIP_CI_STRINGS = ['[skip ci]', '[ci skip]', '[no ci]', '[skip actions]', '[actions skip]'];

/**
 * Picks the workflow directory from a recursive listing of repository paths
 * (files and/or directories) and returns it with its .yml/.yaml files (subfolders included).
 */
export function chooseWorkflowDir(listing: string[]): { dir: string; files: string[] } | null {
  const clean = listing.map((p) => p.replace(/^\.\//, '').replace(/\/+$/, ''));
  for (const dir of WORKFLOW_DIRS) {
    const inside = clean.filter((p) => p === dir || p.startsWith(`${dir}/`));
    if (inside.length === 0) continue;
    return { dir, files: inside.filter((p) => p !== dir && /\.ya?ml$/.test(p)).sort() };
  }
  return null;
}

/** The workflow id Forgejo stores: the path relative to the workflow directory (`sub/ci.yml`). */
export function workflowIdOf(filePath: string): string {
  const p = filePath.replace(/^\.\//, '');
  for (const dir of WORKFLOW_DIRS) if (p.startsWith(`${dir}/`)) return p.slice(dir.length + 1);
  return p;
}

/** True when any skip marker occurs (case-sensitive substring) in any of the texts. */
export function skipCi(texts: string | Array<string | null | undefined>, markers: string[] = DEFAULT_SKIP_CI_STRINGS): boolean {
  const list = Array.isArray(texts) ? texts : [texts];
  return list.some((t) => !!t && markers.some((m) => t.includes(m)));
}

/** Forgejo's rule: only push, pull_request and pull_request_sync hook events are skipped, on the PR title or the whole head-commit message. */
export function shouldSkipEvent(event: string, texts: { commitMessage?: string | null; prTitle?: string | null }, markers?: string[]): boolean {
  if (!['push', 'pull_request', 'pull_request_sync'].includes(event)) return false;
  return skipCi([texts.prTitle, texts.commitMessage], markers);
}

/**
 * Events whose runs use the default branch whatever ref they name (IsDefaultBranchWorkflow);
 * `watch` carries no ref, and GitHub documents it as a default-branch event.
 */
export const DEFAULT_BRANCH_EVENTS: ReadonlySet<string> = new Set([
  'delete', 'fork', 'issue_comment', 'pull_request_comment', 'wiki', 'schedule', 'workflow_dispatch',
  'issues', 'issue_assign', 'issue_label', 'issue_milestone', 'watch',
]);
/** The hook events of the pull request family: what `on.pull_request` accepts, and what carries a trust decision. */
export const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set([
  'pull_request', 'pull_request_sync', 'pull_request_assign', 'pull_request_label', 'pull_request_review_request', 'pull_request_milestone',
]);
const REVIEW_EVENTS = new Set(['pull_request_review_approved', 'pull_request_review_rejected', 'pull_request_review_comment']);

type Payload = Record<string, unknown>;
const obj = (v: unknown): Payload => (isMapping(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** canGithubEventMatch: does an `on:` key accept this hook event? */
export function triggerAcceptsEvent(trigger: string, event: string): boolean {
  switch (trigger) {
    case 'registry_package': return event === 'package';
    case 'gollum': return event === 'wiki';
    case 'workflow_dispatch': return event === 'workflow_dispatch';
    case 'issues': return ['issues', 'issue_assign', 'issue_label', 'issue_milestone'].includes(event);
    case 'pull_request':
    case 'pull_request_target': return PULL_REQUEST_EVENTS.has(event);
    case 'pull_request_review': return ['pull_request_review_approved', 'pull_request_review_comment', 'pull_request_review_rejected'].includes(event);
    case 'issue_comment': return event === 'issue_comment' || event === 'pull_request_comment';
    case 'schedule': return event === 'schedule';
    default: return trigger === event;
  }
}

function typesMatch(globs: string[], actions: string[]): boolean {
  return globs.some((g) => { const re = typeGlobToRegExp(g); return actions.some((a) => re.test(a)); });
}

/** Activity names an event's action is compared against (spec §2.2 conversions). */
function activityNames(trigger: string, event: string, action: string): string[] {
  if (trigger === 'pull_request_review' || trigger === 'pull_request_review_comment' || REVIEW_EVENTS.has(event)) {
    if (action === 'reviewed') return event === 'pull_request_review_comment' ? ['created', 'edited'] : ['submitted', 'edited'];
  }
  if (trigger === 'release' || event === 'release') return [action === 'updated' ? 'edited' : action];
  if (trigger === 'registry_package' || event === 'package') return [action === 'created' ? 'published' : action];
  const map: Record<string, string> = { label_updated: 'labeled', label_cleared: 'unlabeled', synchronized: 'synchronize' };
  return [Object.hasOwn(map, action) ? map[action]! : action];
}

export interface MatchInput {
  /** Forgejo hook event name (push, pull_request_sync, issue_label, …). */
  event: string;
  payload: Payload;
  /** Changed files for path filters; null/undefined when unknown (then path filters do not match). */
  changedFiles?: string[] | null;
}

const NO_ACTIVITY_TYPES = new Set(['workflow_dispatch', 'create', 'delete', 'fork', 'gollum', 'wiki', 'schedule']);

/** detectMatched: does this `on:` entry fire for the event? */
export function triggerMatches(trigger: TriggerEvent, input: MatchInput): boolean {
  const { event, payload } = input;
  if (!triggerAcceptsEvent(trigger.name, event)) return false;
  if (NO_ACTIVITY_TYPES.has(trigger.name) || NO_ACTIVITY_TYPES.has(event)) return true;
  try {
    if (event === 'push') return matchPush(trigger.filters, payload, input.changedFiles);
    if (PULL_REQUEST_EVENTS.has(event)) return matchPullRequest(trigger.filters, payload, input.changedFiles);
    return matchTypesOnly(trigger, event, str(payload['action']) ?? '');
  } catch (e) {
    if (e instanceof PatternError) return false; // a pattern that fails to compile counts as not satisfied
    throw e;
  }
}

function matchTypesOnly(trigger: TriggerEvent, event: string, action: string): boolean {
  const keys = Object.keys(trigger.filters);
  if (keys.some((k) => k !== 'types')) return false;
  const types = trigger.filters['types'];
  if (!types) return true;
  return typesMatch(types, activityNames(trigger.name, event, action));
}

function satisfied(fn: () => boolean): boolean {
  try { return fn(); } catch (e) { if (e instanceof PatternError) return false; throw e; }
}

function matchPush(filters: Record<string, string[]>, payload: Payload, changedFiles: string[] | null | undefined): boolean {
  const keys = Object.keys(filters);
  if (keys.length === 0) return true;
  const ref = str(payload['ref']) ?? '';
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  let matchTimes = 0;
  let hasBranch = false;
  let hasTag = false;
  for (const key of keys) {
    const patterns = filters[key] as string[];
    switch (key) {
      case 'branches': hasBranch = true; if (branch !== undefined && satisfied(() => matchesPositive(patterns, [branch]))) matchTimes++; break;
      case 'branches-ignore': hasBranch = true; if (branch !== undefined && satisfied(() => matchesIgnore(patterns, [branch]))) matchTimes++; break;
      case 'tags': hasTag = true; if (tag !== undefined && satisfied(() => matchesPositive(patterns, [tag]))) matchTimes++; break;
      case 'tags-ignore': hasTag = true; if (tag !== undefined && satisfied(() => matchesIgnore(patterns, [tag]))) matchTimes++; break;
      case 'paths':
        if (tag !== undefined) matchTimes++;
        else if (changedFiles && satisfied(() => matchesPositive(patterns, changedFiles))) matchTimes++;
        break;
      case 'paths-ignore':
        if (tag !== undefined) matchTimes++;
        else if (changedFiles && satisfied(() => matchesIgnore(patterns, changedFiles))) matchTimes++;
        break;
      default: break; // unknown key: never satisfied
    }
  }
  // Either family may satisfy the event when both are present (one "free" point, as in Forgejo).
  if (hasBranch && hasTag) matchTimes++;
  return matchTimes === keys.length;
}

function matchPullRequest(filters: Record<string, string[]>, payload: Payload, changedFiles: string[] | null | undefined): boolean {
  const action = str(payload['action']) ?? '';
  const types = filters['types'];
  // Forgejo sends "synchronized", GitHub "synchronize": both name the default activity
  const activity = activityNames('pull_request', 'pull_request', action);
  const activityOk = types === undefined ? ['opened', 'reopened', 'synchronize'].includes(activity[0]!) : typesMatch(types, activity);
  const base = str(obj(obj(payload['pull_request'])['base'])['ref']) ?? '';
  let matchTimes = 0;
  const keys = Object.keys(filters).filter((k) => k !== 'types');
  for (const key of keys) {
    const patterns = filters[key] as string[];
    switch (key) {
      case 'branches': if (satisfied(() => matchesPositive(patterns, [base]))) matchTimes++; break;
      case 'branches-ignore': if (satisfied(() => matchesIgnore(patterns, [base]))) matchTimes++; break;
      case 'paths': if (changedFiles && satisfied(() => matchesPositive(patterns, changedFiles))) matchTimes++; break;
      case 'paths-ignore': if (changedFiles && satisfied(() => matchesIgnore(patterns, changedFiles))) matchTimes++; break;
      default: break;
    }
  }
  return activityOk && matchTimes === keys.length;
}

/** HookEventType.Event(): the trigger name recorded for a workflow whose `on:` cannot be parsed. */
export function fallbackTriggerEvent(event: string): string {
  if (event.startsWith('issue_comment') || event === 'pull_request_comment') return 'issue_comment';
  if (event === 'pull_request_review_approved') return 'pull_request_approved';
  if (event === 'pull_request_review_rejected') return 'pull_request_rejected';
  if (event === 'pull_request_review_comment') return 'pull_request_comment';
  if (event.startsWith('issue')) return 'issues';
  if (event.startsWith('pull_request')) return 'pull_request';
  if (['package', 'schedule', 'workflow_dispatch'].includes(event)) return '';
  return event;
}

export interface DetectInput extends MatchInput {
  files: { path: string; content: string }[];
  /** Also collect `schedule` entries (pushes to the default branch). */
  detectSchedules?: boolean;
}

export interface DetectedWorkflow { path: string; workflowId: string; content: string; triggerEvent: string }
export interface DetectionError { path: string; workflowId: string; triggerEvent: string; message: string; error: WorkflowError }
export interface DetectedSchedule { path: string; workflowId: string; content: string; specs: { cron: string; timezone?: string }[] }

/**
 * DetectWorkflows: one match per matching `on:` entry (a file can start several runs);
 * a file whose YAML or `on:` cannot be read is an EventDetectionError (code 1) on every event.
 */
export function detectWorkflows(input: DetectInput): { matched: DetectedWorkflow[]; errors: DetectionError[]; schedules: DetectedSchedule[] } {
  const matched: DetectedWorkflow[] = [];
  const errors: DetectionError[] = [];
  const schedules: DetectedSchedule[] = [];
  for (const f of input.files) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    const workflowId = workflowIdOf(f.path);
    let triggers: TriggerEvent[];
    try {
      triggers = readTriggers(f.content, f.path);
    } catch (e) {
      const error = e instanceof WorkflowError ? e : new WorkflowError((e as Error).message, { file: f.path, code: 1 });
      errors.push({ path: f.path, workflowId, triggerEvent: fallbackTriggerEvent(input.event), message: error.message, error });
      continue;
    }
    for (const t of triggers) {
      if (t.schedules) {
        const specs = t.schedules.filter((s) => s.cron !== '');
        if (input.detectSchedules && specs.length) schedules.push({ path: f.path, workflowId, content: f.content, specs });
        continue;
      }
      if (triggerMatches(t, input)) matched.push({ path: f.path, workflowId, content: f.content, triggerEvent: t.name });
    }
  }
  return { matched, errors, schedules };
}
