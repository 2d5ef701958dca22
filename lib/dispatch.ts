// workflow_dispatch: run one workflow file at a ref with typed inputs. Unlike
// forge events, a workflow that does not parse is an error for the caller,
// not a failed run.
import type { Deps } from './deps.js';
import type { Repository } from './types.js';
import { InvalidArgument, NotFound, FailedPrecondition } from './errors.js';
import { createRun, readWorkflowFiles, type CreatedRun } from './create-runs.js';
import { validateDispatchInputs, workflowIdOf, readTriggers, WorkflowError } from './workflow/index.js';
import { upsertRepository } from './repositories.js';

export interface DispatchRequest {
  repo: Repository;
  workflowFile: string;
  ref: string;
  inputs?: Record<string, unknown>;
  sender: { id: number; login: string };
}

export async function dispatchWorkflow(deps: Deps, req: DispatchRequest): Promise<CreatedRun> {
  if (!req.ref || typeof req.ref !== 'string') throw new InvalidArgument('ref is required', { field: 'ref' });
  if (!/^[\w.\-/]+\.ya?ml$/.test(req.workflowFile) || req.workflowFile.split('/').includes('..')) {
    throw new InvalidArgument(`invalid workflow file name "${req.workflowFile}"`, { field: 'workflow_file' });
  }
  const ref = req.ref.startsWith('refs/') || /^[0-9a-f]{40}$/.test(req.ref) ? req.ref : `refs/heads/${req.ref}`;
  const sha = deps.host.resolveRef ? await deps.host.resolveRef(req.repo, ref) : null;
  if (!sha) throw new NotFound(`ref ${req.ref} not found`);
  const disabled = await deps.knex('action_disabled_workflow').where({ repo_id: req.repo.id, workflow_id: req.workflowFile }).first('workflow_id');
  if (disabled) throw new FailedPrecondition(`workflow ${req.workflowFile} is disabled`);
  const { dir, files } = await readWorkflowFiles(deps, req.repo, sha);
  const file = files.find((f) => workflowIdOf(f.path) === req.workflowFile);
  if (!file) throw new NotFound(`workflow ${req.workflowFile} not found at ${req.ref}`);
  let triggers;
  try {
    triggers = readTriggers(file.content, file.path);
  } catch (e) {
    throw new InvalidArgument(e instanceof Error ? e.message : String(e), { field: 'workflow_file' });
  }
  if (!triggers.some((t) => t.name === 'workflow_dispatch')) {
    throw new FailedPrecondition(`workflow ${req.workflowFile} has no workflow_dispatch trigger`);
  }
  let inputs;
  try {
    inputs = validateDispatchInputs(file.content, req.inputs ?? {}, file.path);
  } catch (e) {
    if (e instanceof WorkflowError) throw new InvalidArgument(e.message, { field: 'inputs', cause: e });
    throw e;
  }
  // stored only once the request is accepted: a refused dispatch writes nothing
  await upsertRepository(deps, req.repo);
  const payload = {
    inputs: inputs.payloadInputs,
    ref,
    repository: req.repo,
    sender: req.sender,
    workflow: `${dir}/${req.workflowFile}`,
  };
  try {
    return await createRun(
      deps,
      {
        repo: req.repo,
        event: 'workflow_dispatch',
        payload,
        ref,
        sha,
        title: req.workflowFile,
        triggerUser: req.sender,
        deliveryKey: null,
        inputs: inputs.inputs,
      },
      { workflowId: req.workflowFile, workflowDirectory: dir, content: file.content, triggerEvent: 'workflow_dispatch' },
    );
  } catch (e) {
    // a `concurrency:` that cannot be evaluated is the caller's to fix; nothing was written
    if (e instanceof WorkflowError) throw new InvalidArgument(e.message, { field: 'workflow_file', cause: e });
    throw e;
  }
}
