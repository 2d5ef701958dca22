// What a task carries besides its workflow: the github/forgejo context, the
// secrets and the variables. Built when a job is claimed and again when a
// request-key replay re-issues the task's token.
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import type { RunRow } from '../models/runs.js';
import type { JobRow } from '../models/jobs.js';

export interface TaskPayloadInput {
  run: RunRow;
  job: JobRow;
  taskId: number;
  /** the task's automatic token in clear text (only its hash is stored) */
  token: string;
}

export interface TaskPayload {
  context: Record<string, unknown>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
}

function refParts(ref: string): { ref_name: string; ref_type: string } {
  for (const [prefix, type] of [
    ['refs/heads/', 'branch'],
    ['refs/tags/', 'tag'],
  ] as const) {
    if (ref.startsWith(prefix)) return { ref_name: ref.slice(prefix.length), ref_type: type };
  }
  const m = /^refs\/(?:remotes|pull|for)\/(.*)$/.exec(ref);
  return { ref_name: m ? m[1]! : ref, ref_type: '' };
}

/** the task's context, secrets and variables (secrets and variables are filled by the secrets module) */
export async function buildTaskPayload(_k: Executor, deps: Deps, input: TaskPayloadInput): Promise<TaskPayload> {
  const { run, job, taskId, token } = input;
  const event = JSON.parse(run.event_payload || '{}') as Record<string, unknown>;
  const repo = (event.repository ?? {}) as { full_name?: string; owner?: { login?: string }; html_url?: string };
  const fullName = repo.full_name ?? '';
  const owner = repo.owner?.login ?? fullName.split('/')[0] ?? '';
  const pr = event.pull_request as { head?: { ref?: string }; base?: { ref?: string } } | undefined;
  const server = deps.config.publicUrl;
  const context: Record<string, unknown> = {
    event,
    event_path: '',
    workflow: run.workflow_id,
    run_id: String(run.id),
    run_number: String(run.run_number),
    run_attempt: String(job.attempt),
    actor: run.trigger_user,
    repository: fullName,
    event_name: run.trigger_event || run.event,
    sha: run.commit_sha,
    ref: run.ref,
    ...refParts(run.ref),
    head_ref: pr?.head?.ref ?? '',
    base_ref: pr?.base?.ref ?? '',
    token,
    workspace: '',
    action: '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    job: job.job_id,
    job_name: '',
    runner_perflog: '',
    runner_tracking_id: '',
    graphql_url: '',
    repository_owner: owner,
    retention_days: '',
    server_url: server,
    api_url: `${server}api/v1`,
    workflow_ref: `${fullName}/${run.workflow_directory}/${run.workflow_id}@${run.ref}`,
    action_status: '',
    env: '',
    path: '',
    ref_protected: false,
    repositoryUrl: repo.html_url ?? `${server}${fullName}`,
    secret_source: 'Actions',
    triggering_actor: '',
    gitea_default_actions_url: deps.config.defaultActionsUrl,
    forgejo_default_actions_url: deps.config.defaultActionsUrl,
    forgejo_server_version: deps.config.serverVersion,
    task_id: String(taskId),
  };
  const secrets = { GITHUB_TOKEN: token, GITEA_TOKEN: token, FORGEJO_TOKEN: token };
  return { context, secrets, vars: {} };
}
