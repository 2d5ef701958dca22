// The github/forgejo context of a task (job-lifecycle §7, runner-protocol §4.7):
// one map the runner exposes as both `github` and `forgejo`. Values are
// strings, except `event` (the stored webhook payload as an object) and
// `ref_protected` (the boolean false).
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import { storedRepository } from '../models/payload-reads.js';
import type { RunRow } from '../models/runs.js';
import type { JobRow } from '../models/jobs.js';
import type { JobPayload } from './job-payload.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** DEFAULT_ACTIONS_URL resolved: `github` and `self` are shorthands */
export function defaultActionsUrl(deps: Pick<Deps, 'config'>): string {
  const v = deps.config.defaultActionsUrl;
  if (v === 'github') return 'https://github.com';
  if (v === 'self') return deps.config.publicUrl.replace(/\/+$/, '');
  return v || 'https://data.forgejo.org';
}

/** git's short name of a ref, as Forgejo's RefName.ShortName() */
export function refName(ref: string): string {
  const pull = /^refs\/pull\/([^/]+)\/.*$/.exec(ref);
  if (pull) return pull[1]!;
  for (const prefix of ['refs/heads/', 'refs/tags/', 'refs/remotes/', 'refs/for/']) {
    if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  }
  return ref;
}

export function refType(ref: string): string {
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/tags/')) return 'tag';
  return '';
}

function parseEvent(payload: string): Obj {
  try {
    return obj(JSON.parse(payload || '{}')) ?? {};
  } catch {
    return {};
  }
}

interface RepoInfo {
  fullName: string;
  owner: string;
  htmlUrl: string;
}

/** the repository from the event; runs started without one (schedules) fall back to the stored repository row */
async function repoInfo(k: Executor, deps: Deps, run: RunRow, event: Obj): Promise<RepoInfo> {
  let repo = obj(event.repository);
  if (!repo?.full_name) {
    const row = await storedRepository(k, run.repo_id);
    if (row) repo = { full_name: row.full_name, ...parseEvent(row.data) };
  }
  const fullName = str(repo?.full_name);
  const owner = str(obj(repo?.owner)?.login) || str(obj(repo?.owner)?.username) || fullName.split('/')[0] || '';
  return { fullName, owner, htmlUrl: str(repo?.html_url) || `${deps.config.publicUrl}${fullName}` };
}

/**
 * The run-level context (generateGiteaContextForRun) merged with the job and
 * server part (GenerateGiteaContext). Without a job, `job`, `run_id` and
 * `run_attempt` stay empty, as for evaluating a caller's `secrets:` mapping.
 */
export async function buildContext(
  k: Executor,
  deps: Deps,
  run: RunRow,
  job?: { row: JobRow; payload: JobPayload },
): Promise<Obj> {
  const event = parseEvent(run.event_payload);
  const repo = await repoInfo(k, deps, run, event);
  const triggerEvent = run.trigger_event || run.event;
  const pr = obj(event.pull_request);
  const base = obj(pr?.base);
  const head = obj(pr?.head);
  const isPrEvent = /^pull_request/.test(run.event) && !!base && !!head;
  let ref = run.ref;
  let sha = run.commit_sha;
  if (triggerEvent === 'pull_request_target' && base) {
    // pull_request_target runs the base branch's workflow in the base context
    ref = `refs/heads/${str(base.ref) || str(base.label).replace(/^[^:]*:/, '')}`;
    sha = str(base.sha);
  }
  const server = deps.config.publicUrl;
  const actionsUrl = defaultActionsUrl(deps);
  return {
    event,
    event_path: '',
    workflow: run.workflow_id,
    run_id: job ? String(job.row.run_id) : '',
    run_number: String(run.run_number),
    run_attempt: job ? String(job.row.attempt) : '',
    actor: run.trigger_user,
    repository: repo.fullName,
    event_name: job?.payload.workflowCallParent ? 'workflow_call' : triggerEvent,
    sha,
    ref,
    ref_name: refName(ref),
    ref_type: refType(ref),
    head_ref: isPrEvent ? str(head?.ref) : '',
    base_ref: isPrEvent ? str(base?.ref) : '',
    token: '',
    workspace: '',
    action: '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    job: job ? job.row.job_id : '',
    job_name: '',
    runner_perflog: '',
    runner_tracking_id: '',
    graphql_url: '',
    repository_owner: repo.owner,
    retention_days: '',
    server_url: server,
    api_url: `${server}api/v1`,
    workflow_ref: `${repo.fullName}/${run.workflow_directory}/${run.workflow_id}@${ref}`,
    action_status: '',
    env: '',
    path: '',
    ref_protected: false,
    repositoryUrl: repo.htmlUrl,
    secret_source: 'Actions',
    triggering_actor: '',
    gitea_default_actions_url: actionsUrl,
    forgejo_default_actions_url: actionsUrl,
    forgejo_server_version: deps.config.serverVersion,
  };
}

/** the context keys an id-token carries as custom claims, every value a string (Go map order: sorted) */
export const OIDC_EXTRA_KEYS = [
  'actor', 'base_ref', 'event_name', 'head_ref', 'ref', 'ref_protected', 'ref_type', 'repository',
  'repository_owner', 'run_attempt', 'run_id', 'run_number', 'sha', 'workflow', 'workflow_ref',
] as const;

export function oidcExtra(ctx: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of OIDC_EXTRA_KEYS) out[key] = String(ctx[key] ?? '');
  return out;
}

export function oidcSubject(ctx: Obj): string {
  const repository = String(ctx.repository ?? '');
  return ctx.event_name === 'pull_request' ? `repo:${repository}:pull_request` : `repo:${repository}:ref:${String(ctx.ref ?? '')}`;
}
