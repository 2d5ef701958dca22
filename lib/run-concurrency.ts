// A run's concurrency group and stored type: the workflow engine evaluates
// `concurrency:`; an evaluation error leaves the run without a group, as
// Forgejo does for forge events (dispatch and schedules surface the error).
import { evaluateWorkflowConcurrency } from './workflow/index.js';
import { ConcurrencyType } from '../models/runs.js';

export interface RunConcurrency {
  group: string;
  type: number;
}

const typeNumber = { unlimited: ConcurrencyType.unlimited, 'queue-behind': ConcurrencyType.queueBehind, 'cancel-in-progress': ConcurrencyType.cancelInProgress };

export function runConcurrency(
  content: string,
  run: { ref: string; workflowId: string; triggerEvent: string; event: string },
  contexts: { github: Record<string, unknown>; vars: Record<string, string>; inputs?: Record<string, unknown> },
  opts: { throwOnError?: boolean } = {},
): RunConcurrency {
  try {
    const c = evaluateWorkflowConcurrency(content, { ...contexts, ...run });
    return c ? { group: c.group, type: typeNumber[c.type] } : { group: '', type: ConcurrencyType.unlimited };
  } catch (e) {
    if (opts.throwOnError) throw e;
    return { group: '', type: ConcurrencyType.unlimited };
  }
}
