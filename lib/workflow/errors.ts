// Errors raised by the workflow engine. One class, so the run-creation code can
// map any failure to Forgejo's pre-execution error codes (spec §3.4) in one place.

/** Forgejo's pre-execution error codes (models/actions/pre_execution_errors.go order; never reorder). */
export const PreExecutionErrorCode = {
  EventDetectionError: 1,
  JobParsingError: 2,
  PersistentIncompleteMatrix: 3,
  IncompleteMatrixMissingJob: 4,
  IncompleteMatrixMissingOutput: 5,
  IncompleteMatrixUnknownCause: 6,
  IncompleteRunsOnMissingJob: 7,
  IncompleteRunsOnMissingOutput: 8,
  IncompleteRunsOnMissingMatrixDimension: 9,
  IncompleteRunsOnUnknownCause: 10,
  IncompleteWithMissingJob: 11,
  IncompleteWithMissingOutput: 12,
  IncompleteWithMissingMatrixDimension: 13,
  IncompleteWithUnknownCause: 14,
} as const;
export type PreExecutionErrorCode = (typeof PreExecutionErrorCode)[keyof typeof PreExecutionErrorCode];

export interface SourcePosition {
  file?: string;
  line?: number;
  column?: number;
}

/** A problem with a workflow file: message names file, line and column when known; `code` is the pre-execution code. */
export class WorkflowError extends Error {
  readonly code: PreExecutionErrorCode | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The message without the position prefix, for callers that render positions themselves. */
  readonly detail: string;

  constructor(detail: string, options: SourcePosition & { code?: PreExecutionErrorCode; cause?: unknown } = {}) {
    super(formatPosition(options) + detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkflowError';
    this.detail = detail;
    this.code = options.code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
  }

  /** Same error, re-labelled with a file name and/or code (positions kept). */
  withContext(ctx: { file?: string; code?: PreExecutionErrorCode; prefix?: string }): WorkflowError {
    return new WorkflowError((ctx.prefix ?? '') + this.detail, {
      file: this.file ?? ctx.file,
      line: this.line,
      column: this.column,
      code: this.code ?? ctx.code,
      cause: this,
    });
  }
}

function formatPosition(p: SourcePosition): string {
  if (!p.file && p.line === undefined) return '';
  const where = [p.file ?? '<workflow>'];
  if (p.line !== undefined) where.push(`line ${p.line}`);
  if (p.column !== undefined) where.push(`column ${p.column}`);
  return `${where.join(', ')}: `;
}

/** Raised by a `fetchReusable` callback to say "leave this job unexpanded" (Go's ErrUnsupportedReusableWorkflowFetch). */
export class UnsupportedReusableWorkflowFetch extends Error {
  constructor(message = 'unsupported reusable workflow fetch') {
    super(message);
    this.name = 'UnsupportedReusableWorkflowFetch';
  }
}
