// Reads what the task payload needs from a job's stored single-job workflow
// (action_run_job.workflow_payload): its one job, the reusable-workflow
// metadata and whether the job asked for OIDC.

export interface JobPayload {
  /** the whole document, {} when unparsable */
  doc: Record<string, unknown>;
  /** the one job's key and body */
  jobKey: string;
  job: Record<string, unknown>;
  /** set on the inner jobs of an expanded reusable-workflow call */
  workflowCallParent?: string;
  /** set on the outer (caller) job of an expanded reusable-workflow call */
  workflowCallId?: string;
}

function mapping(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** the parts of a document parsed from a payload (null/undefined for an empty payload); lib/job-facts.ts caches it per payload */
export function jobPayloadOf(parsed: unknown): JobPayload {
  const doc: Record<string, unknown> = mapping(parsed ?? {}) ?? {};
  const jobs = mapping(doc.jobs) ?? {};
  const [jobKey, body] = Object.entries(jobs)[0] ?? ['', {}];
  const meta = mapping(doc.__metadata) ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    doc,
    jobKey,
    job: mapping(body) ?? {},
    workflowCallParent: str(meta.workflow_call_parent),
    workflowCallId: str(meta.workflow_call_id),
  };
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true';
}

/** `permissions: write-all` or a mapping with `id-token: write` */
function grantsIdToken(permissions: unknown): boolean {
  if (permissions === 'write-all') return true;
  return mapping(permissions)?.['id-token'] === 'write';
}

/**
 * Whether the job asked for an OIDC id-token: `enable-openid-connect` (job
 * level over workflow level; jobparser hoists the effective value to the top)
 * or GitHub's `permissions: id-token: write` (job-level permissions replace
 * the workflow's). The fork rule is the caller's business.
 */
export function wantsOidc(p: JobPayload): boolean {
  const jobFlag = p.job['enable-openid-connect'];
  const flag = jobFlag !== undefined ? truthy(jobFlag) : truthy(p.doc['enable-openid-connect']);
  const permissions = p.job.permissions !== undefined ? p.job.permissions : p.doc.permissions;
  return flag || grantsIdToken(permissions);
}
