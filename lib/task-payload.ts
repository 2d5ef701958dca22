// What a task carries besides its workflow: the github/forgejo context, the
// secrets and the variables (runner-protocol §4.7, job-lifecycle §6–8). Built
// when a job is claimed and again when a request-key replay re-issues the
// task with a new token (the runtime token is then re-signed too).
import type { Deps } from './deps.js';
import { secretsAndVariablesForRun, type Executor, type SecretsAndVariables } from '../models/base.js';
import type { RunRow } from '../models/runs.js';
import type { JobRow } from '../models/jobs.js';
import { buildContext, oidcExtra, oidcSubject } from './context.js';
import { wantsOidc, type JobPayload } from './job-payload.js';
import { readJobPayload } from './job-facts.js';
import { isUntrustedFork, secretsOfJob } from './secrets.js';
import { variablesFromRows } from './variables.js';
import { createRuntimeToken } from './oidc/runtime-token.js';
import { idTokenRequestUrl } from './oidc/urls.js';

export interface TaskPayloadInput {
  run: RunRow;
  job: JobRow;
  taskId: number;
  /** the task's automatic token in clear text (only its hash is stored) */
  token: string;
  /** job.workflow_payload already parsed (readJobPayload), when the caller has it */
  payload?: JobPayload;
  /** the run's stored secrets and variables, when the caller read them already (the claim on PostgreSQL) */
  stored?: SecretsAndVariables;
}

export interface TaskPayload {
  context: Record<string, unknown>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
}

export async function buildTaskPayload(k: Executor, deps: Deps, input: TaskPayloadInput): Promise<TaskPayload> {
  const { run, job, taskId, token } = input;
  const payload = input.payload ?? readJobPayload(job.workflow_payload);
  const context = await buildContext(k, deps, run, { row: job, payload });
  context.token = token;

  const oidc = wantsOidc(payload) && !isUntrustedFork(run, job);
  const runtimeToken = await createRuntimeToken(deps, {
    taskId,
    runId: run.id,
    jobId: job.id,
    oidc: oidc ? { extra: oidcExtra(context), sub: oidcSubject(context) } : undefined,
  });
  // later Forgejo versions read forgejo_runtime_token, older runners gitea_runtime_token
  context.gitea_runtime_token = runtimeToken;
  context.forgejo_runtime_token = runtimeToken;
  if (oidc) {
    context.forgejo_actions_id_token_request_token = runtimeToken;
    context.forgejo_actions_id_token_request_url = idTokenRequestUrl(deps, run.id);
  }

  // one statement for both: on PostgreSQL each is a round trip
  const stored = input.stored ?? (await secretsAndVariablesForRun(k, deps.dialect, run.owner_id, run.repo_id));
  const secrets = await secretsOfJob(k, deps, run, job, { payload, stored: stored.secrets });
  // the task token always wins over a user secret of the same name
  Object.assign(secrets, { GITHUB_TOKEN: token, GITEA_TOKEN: token, FORGEJO_TOKEN: token });
  const vars = variablesFromRows(stored.variables);
  return { context, secrets, vars };
}
