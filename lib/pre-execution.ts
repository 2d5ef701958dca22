// Pre-execution errors: a run that cannot start (its workflow does not parse,
// or a dynamic part can never be evaluated) fails with a code and details a
// person can read. The first error wins.
import type { Deps } from './deps.js';
import type { Executor } from '../models/base.js';
import { RunGateway } from '../models/runs.js';
import type { Outbox } from './outbox.js';
import { Status } from './status.js';
import { killRun } from './cancel.js';

const messages: Record<number, string> = {
  1: 'Unable to parse supported events in workflow: %1',
  2: 'Unable to parse jobs in workflow: %1',
  3: 'Unable to evaluate `strategy.matrix` of job %1 due to a `needs` expression that was invalid (%2).',
  4: 'Unable to evaluate `strategy.matrix` of job %1: job %2 is not in the `needs` list of job %1 (%3).',
  5: 'Unable to evaluate `strategy.matrix` of job %1: job %2 is missing output %3.',
  6: 'Unable to evaluate `strategy.matrix` of job %1: unknown error.',
  7: 'Unable to evaluate `runs-on` of job %1: job %2 is not in the `needs` list of job %1 (%3).',
  8: 'Unable to evaluate `runs-on` of job %1: job %2 is missing output %3.',
  9: 'Unable to evaluate `runs-on` of job %1: matrix dimension %2 does not exist.',
  10: 'Unable to evaluate `runs-on` of job %1: unknown error.',
  11: 'Unable to evaluate `with` of job %1: job %2 is not in the `needs` list of job %1 (%3).',
  12: 'Unable to evaluate `with` of job %1: job %2 is missing output %3.',
  13: 'Unable to evaluate `with` of job %1: matrix dimension %2 does not exist.',
  14: 'Unable to evaluate `with` of job %1: unknown error.',
};

/** The English text of a pre-execution error, as Forgejo shows it. */
export function describePreExecutionError(code: number, details: unknown[]): string {
  const template = messages[code];
  if (!template) return '';
  return template.replace(/%(\d)/g, (_, i: string) => String(details[Number(i) - 1] ?? ''));
}

export async function failRunPreExecution(
  k: Executor,
  deps: Deps,
  outbox: Outbox,
  runId: number,
  code: number,
  details: unknown[],
): Promise<void> {
  const runs = new RunGateway(k, deps.dialect);
  const run = await runs.get(runId, { lock: true });
  if (!run || run.pre_execution_error_code !== 0) return;
  await runs.update(runId, { status: Status.failure, pre_execution_error_code: code, pre_execution_error_details: JSON.stringify(details) });
  await killRun(k, deps, outbox, runId, Status.failure);
}
