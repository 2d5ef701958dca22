// Workflow-level concurrency (spec §5.1): evaluated with github (run_number "0"),
// vars and inputs; lower-cased group; Forgejo's defaults for the run type.
import { readYaml, isMapping } from './yaml-source.js';
import { makeScope, evaluateValue } from './expressions.js';
import { PreExecutionErrorCode } from './errors.js';

export type ConcurrencyType = 'unlimited' | 'queue-behind' | 'cancel-in-progress';

export interface WorkflowConcurrency {
  /** Lower-cased group ('' when neither given nor derivable). */
  group: string;
  /** True when runs of this group cancel earlier ones. */
  cancelInProgress: boolean;
  type: ConcurrencyType;
}

export interface ConcurrencyOptions {
  vars?: Record<string, unknown> | null;
  inputs?: Record<string, unknown> | null;
  github?: Record<string, unknown> | null;
  /** Hook event (`push`, `pull_request_sync`, …): decides the default when cancel-in-progress is unset. */
  event?: string;
  /** For the automatic group `<ref>_<workflowId>_<triggerEvent>__auto`. */
  ref?: string;
  workflowId?: string;
  triggerEvent?: string;
}

/** Evaluates `concurrency:`; null when the workflow has none and no run details are given to derive the automatic group. */
export function evaluateWorkflowConcurrency(content: string, options: ConcurrencyOptions = {}): WorkflowConcurrency | null {
  const src = readYaml(content, options.workflowId, PreExecutionErrorCode.JobParsingError);
  const root = isMapping(src.value) ? src.value : {};
  const raw = root['concurrency'];
  const canAuto = options.ref !== undefined && options.workflowId !== undefined && options.triggerEvent !== undefined;
  if ((raw === undefined || raw === null) && !canAuto && options.event === undefined) return null;
  const scope = makeScope({ github: { run_number: '0', ...(options.github ?? {}) }, vars: options.vars ?? {}, inputs: options.inputs ?? {} });
  let group = '';
  let cancel = '';
  try {
    const g = isMapping(raw) ? raw['group'] : raw;
    if (g !== undefined && g !== null) group = String(evaluateValue(g, scope) ?? '');
    if (isMapping(raw) && raw['cancel-in-progress'] !== undefined && raw['cancel-in-progress'] !== null) {
      cancel = String(evaluateValue(raw['cancel-in-progress'], scope) ?? '');
    }
  } catch (e) {
    throw src.error(['concurrency'], `failed to evaluate concurrency: ${(e as Error).message}`);
  }
  const auto = canAuto ? `${options.ref}_${options.workflowId}_${options.triggerEvent}__auto` : '';
  let type: ConcurrencyType;
  if (cancel === '') {
    group ||= auto;
    type = options.event === 'push' || options.event === 'pull_request_sync' ? 'cancel-in-progress' : 'unlimited';
  } else if (cancel === 'true') {
    group ||= auto;
    type = 'cancel-in-progress';
  } else if (group === '') {
    group = auto;
    type = 'unlimited';
  } else type = 'queue-behind';
  return { group: group.toLowerCase(), cancelInProgress: type === 'cancel-in-progress', type };
}
