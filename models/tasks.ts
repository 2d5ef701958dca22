// Gateway for action_task and for claiming waiting jobs (the row claim that
// turns a waiting job into a running task).
import type { Dialect } from '../lib/db.js';
import { bool, pgSecretsAndVariablesJson, secretsAndVariablesFromJson, type Executor, type Gateway, type SecretsAndVariables } from './base.js';
import { toJob, type JobRow } from './jobs.js';
import { toRun, type RunRow } from './runs.js';
import { insertSql, nativeFirst, nativeRows, nativeUpdate, updateSql } from './native.js';
import { TaskStepGateway } from './task-steps.js';

export interface TaskRow {
  id: number;
  job_id: number;
  attempt: number;
  runner_id: number;
  status: number;
  started: number;
  stopped: number;
  repo_id: number;
  owner_id: number;
  commit_sha: string;
  is_fork_pull_request: boolean;
  token_hash: string | null;
  runner_request_key: string | null;
  log_filename: string;
  log_in_storage: boolean;
  log_length: number;
  log_size: number;
  log_expired: boolean;
  created: number;
  updated: number;
}

export type NewTask = Omit<TaskRow, 'id' | 'log_in_storage' | 'log_length' | 'log_size' | 'log_expired' | 'log_filename'>;

export function toTask(r: Record<string, unknown> | undefined): TaskRow | undefined {
  if (!r) return undefined;
  return {
    ...(r as unknown as TaskRow),
    is_fork_pull_request: bool(r.is_fork_pull_request),
    log_in_storage: bool(r.log_in_storage),
    log_expired: bool(r.log_expired),
  };
}

/** the columns of a task's job that an UpdateTask acts on */
export type TaskJob = Pick<JobRow, 'id' | 'run_id' | 'repo_id' | 'task_id' | 'status'>;

/** a claimable job as candidates() reads it */
export interface Candidate {
  id: number;
  updated: number;
  /** the job's workflow_payload */
  payload: string;
  /** PostgreSQL: the id allocated for the task this job may become */
  taskId?: number;
  /** the job's run, locked on PostgreSQL */
  run: RunRow;
}

/** whether a task of runner `?` holds request key `?` */
const REQUEST_KEY_USED = 'exists (select 1 from action_task t where t.runner_id = ? and t.runner_request_key = ?)';

export interface ClaimInput {
  jobId: number;
  /** PostgreSQL: the id the candidate query allocated for the task (Candidate.taskId) */
  taskId?: number;
  now: number;
  runnerId: number;
  /** the task's status, and its steps' (named in order) */
  taskStatus: number;
  stepNames: string[];
  stepStatus: number;
  tokenHash: string;
  requestKey: string | null;
  /** the task's log file name, once its id is known */
  logFilename(taskId: number): string;
  /** fields the job's run takes with the claim */
  run?: { id: number; fields: Record<string, unknown> };
}

export interface ClaimedJob {
  job: JobRow;
  /** the secrets and variables of the job's run, when the claim read them (PostgreSQL) */
  stored?: SecretsAndVariables;
}

export interface CandidatePage {
  rows: Candidate[];
  /**
   * With a request key: whether a task holds it already (a call with the same key committed
   * first). Read by the statement that reads the page, so it costs no round trip of its own;
   * undefined when the page is empty and the question is still open.
   */
  keyUsed?: boolean;
}

export interface CandidateScope {
  ownerId: number;
  repoId: number;
}

export class TaskGateway implements Gateway {
  constructor(readonly k: Executor, readonly dialect: Dialect) {}

  async get(id: number, opts: { lock?: boolean } = {}): Promise<TaskRow | undefined> {
    const lock = opts.lock && this.dialect === 'pg' ? ' for update' : '';
    return toTask(await nativeFirst(this.k, this.dialect, `select * from action_task where id = ?${lock}`, [id]));
  }

  /**
   * The task and what an UpdateTask needs of its job (undefined when the job
   * is gone), one read. `lock` takes the task row on PostgreSQL (the job row
   * is read, not locked: every change to it holds the run's lock, which the
   * caller takes first).
   */
  async getWithJob(id: number, opts: { lock?: boolean } = {}): Promise<{ task: TaskRow; job: TaskJob | undefined } | undefined> {
    // a left join's nullable side cannot be locked on PostgreSQL
    const lock = opts.lock && this.dialect === 'pg' ? ' for update of t' : '';
    const row = await nativeFirst(
      this.k,
      this.dialect,
      `select t.*, j.id as job_id__, j.run_id as job_run_id__, j.repo_id as job_repo_id__, j.task_id as job_task_id__, j.status as job_status__ from action_task t left join action_run_job j on j.id = t.job_id where t.id = ?${lock}`,
      [id],
    );
    if (!row) return undefined;
    const { job_id__: jobId, job_run_id__: runId, job_repo_id__: repoId, job_task_id__: taskId, job_status__: status, ...task } = row;
    const job =
      jobId === null || jobId === undefined
        ? undefined
        : { id: Number(jobId), run_id: Number(runId), repo_id: Number(repoId), task_id: Number(taskId), status: Number(status) };
    return { task: toTask(task)!, job };
  }

  /** tasks a FetchTask call with this key assigned to this runner, in assignment order */
  async byRequestKey(runnerId: number, key: string): Promise<TaskRow[]> {
    const rows = await nativeRows(this.k, this.dialect, 'select * from action_task where runner_id = ? and runner_request_key = ? order by id', [runnerId, key]);
    return rows.map((r) => toTask(r)!);
  }

  async anyOfRunner(runnerId: number): Promise<boolean> {
    return (await this.k('action_task').where({ runner_id: runnerId }).first('id')) !== undefined;
  }

  async insert(task: NewTask): Promise<TaskRow> {
    const [row] = await this.k('action_task').insert(task).returning('*');
    return toTask(row as Record<string, unknown>)!;
  }

  async update(id: number, fields: Partial<Omit<TaskRow, 'id'>>, where: Partial<Pick<TaskRow, 'status' | 'log_in_storage' | 'log_length'>> = {}): Promise<number> {
    return nativeUpdate(this.k, this.dialect, 'action_task', fields, { id, ...where });
  }

  /**
   * A page of claimable jobs visible to a scope whose every `runs-on` label is
   * among `labels` (Forgejo's ItRunsOn: neither side empty), oldest first
   * (Forgejo's `updated, id` order), each with its run. On PostgreSQL the runs
   * come locked (`for update skip locked`: lock order is run, then job), and a
   * job whose run another transaction holds is left out; on SQLite the
   * transaction is the only writer. The claim itself is conditional, so a stale
   * row only costs a failed claim. `extra` is a further SQL condition on `j`
   * (the concurrency queue-behind rule).
   */
  async candidates(
    scope: CandidateScope,
    labels: string[],
    limit: number,
    afterId: { updated: number; id: number } | null,
    opts: { extra?: string; requestKey?: { runnerId: number; key: string } } = {},
  ): Promise<CandidatePage> {
    if (labels.length === 0) return { rows: [] };
    const { sql, bindings } = this.candidateQuery(scope, labels, afterId, opts.extra);
    const lock = this.dialect === 'pg' ? ' for update of r skip locked' : '';
    // whether a task already holds the request key, read in the same statement (see CandidatePage.keyUsed)
    const key = opts.requestKey;
    const keyUsed = key ? `, ${REQUEST_KEY_USED} as key_used__` : '';
    // from the job what choosing and claiming need (the claim returns its whole row); on PostgreSQL the
    // id of the task each row may become, so that the claim is one statement (an unused id is a gap)
    const page = `select j.id as job_id__, j.updated as job_updated__, j.workflow_payload as job_payload__${keyUsed}, r.* ${sql} order by j.updated, j.id limit ?${lock}`;
    const rows = await nativeRows(
      this.k,
      this.dialect,
      this.dialect === 'pg' ? `select c.*, nextval(pg_get_serial_sequence('action_task', 'id')) as task_id__ from (${page}) c` : page,
      [...(key ? [key.runnerId, key.key] : []), ...bindings, limit],
    );
    return {
      rows: rows.map(({ job_id__, job_updated__, job_payload__, key_used__: _used, task_id__, ...run }) => ({
        id: Number(job_id__),
        updated: Number(job_updated__),
        payload: String(job_payload__ ?? ''),
        taskId: task_id__ === undefined ? undefined : Number(task_id__),
        run: toRun(run)!,
      })),
      keyUsed: key && rows.length > 0 ? bool(rows[0]!.key_used__) : undefined,
    };
  }

  /** whether a task of the runner holds the request key */
  async requestKeyUsed(runnerId: number, key: string): Promise<boolean> {
    return bool((await nativeFirst(this.k, this.dialect, `select ${REQUEST_KEY_USED} as used`, [runnerId, key]))?.used);
  }

  /** whether any job is claimable by `labels` in the scope, locked or not: a short locked page may have skipped some */
  async anyCandidate(scope: CandidateScope, labels: string[], extra?: string): Promise<boolean> {
    if (labels.length === 0) return false;
    const { sql, bindings } = this.candidateQuery(scope, labels, null, extra);
    return (await nativeRows(this.k, this.dialect, `select 1 as x ${sql} limit 1`, bindings)).length > 0;
  }

  private candidateQuery(scope: CandidateScope, labels: string[], afterId: { updated: number; id: number } | null, extra?: string): { sql: string; bindings: unknown[] } {
    // runs_on is a JSON array of strings written by JSON.stringify, so an empty one is exactly '[]'
    const labelsMatch =
      this.dialect === 'pg'
        ? "j.runs_on <> '[]' and j.runs_on::jsonb <@ ?::jsonb"
        : "j.runs_on <> '[]' and not exists (select 1 from json_each(j.runs_on) l where l.value not in (select value from json_each(?)))";
    let sql = `from action_run_job j join action_run r on r.id = j.run_id where j.status = 5 and j.task_id = 0 and ${labelsMatch}`;
    const bindings: unknown[] = [JSON.stringify(labels)];
    if (scope.repoId > 0) {
      sql += ' and j.repo_id = ?';
      bindings.push(scope.repoId);
    } else if (scope.ownerId > 0) {
      sql += ' and j.owner_id = ?';
      bindings.push(scope.ownerId);
    }
    if (afterId) {
      sql += ' and (j.updated > ? or (j.updated = ? and j.id > ?))';
      bindings.push(afterId.updated, afterId.updated, afterId.id);
    }
    if (extra) sql += ` and ${extra}`;
    return { sql, bindings };
  }

  /**
   * The row claim: the waiting job becomes running with its task, whose row and steps go in with
   * it, and the run takes `input.run` when given (the first claim of a run in the transaction). A
   * job claimed or changed since it was read is no claim (undefined) and writes nothing.
   *
   * On PostgreSQL this is one statement: the task id comes from the candidate query, and the
   * task, its steps and the run's update are sub-statements of the job's update, each writing
   * only when the job was claimed. On SQLite (the transaction is the only writer) the task id is
   * the next AUTOINCREMENT value, never below an id used before, and the writes follow one by one.
   * On PostgreSQL the statement also reads the secrets and variables the task gets (`stored`),
   * which would otherwise be a round trip of their own.
   */
  async claim(input: ClaimInput): Promise<ClaimedJob | undefined> {
    return this.dialect === 'pg' ? this.claimInOneStatement(input) : this.claimStepByStep(input);
  }

  private async claimInOneStatement(input: ClaimInput): Promise<ClaimedJob | undefined> {
    const { jobId, now } = input;
    if (input.taskId === undefined) throw new Error('claim: PostgreSQL needs the task id the candidate query allocated');
    const taskId = input.taskId;
    const run = input.run ? updateSql('action_run', input.run.fields, { id: input.run.id }) : undefined;
    const stored = pgSecretsAndVariablesJson('c.owner_id', 'c.repo_id');
    const rows = await nativeRows(
      this.k,
      this.dialect,
      'with claimed as (update action_run_job set task_id = ?, status = 6, attempt = attempt + 1, started = ?, updated = ?' +
        ' where id = ? and status = 5 and task_id = 0 and id in (select id from action_run_job where id = ? for update skip locked) returning *),' +
        ' task as (insert into action_task (id, log_filename, job_id, attempt, runner_id, status, started, stopped, repo_id, owner_id, commit_sha,' +
        ' is_fork_pull_request, token_hash, runner_request_key, created, updated)' +
        ' select ?, ?, c.id, c.attempt, ?, ?, ?, 0, c.repo_id, c.owner_id, c.commit_sha, c.is_fork_pull_request, ?, ?, ?, ? from claimed c),' +
        ' steps as (insert into action_task_step (task_id, name, "index", repo_id, status, log_index, log_length, started, stopped)' +
        ' select ?, s.name, s.ord - 1, c.repo_id, ?, 0, 0, 0, 0 from claimed c cross join unnest(?::text[]) with ordinality as s(name, ord))' +
        (run ? `, run as (${run.sql} and exists (select 1 from claimed))` : '') +
        ` select c.*, ${stored.secrets} as secrets__, ${stored.variables} as variables__ from claimed c`,
      [
        taskId, now, now, jobId, jobId,
        taskId, input.logFilename(taskId), input.runnerId, input.taskStatus, now, input.tokenHash, input.requestKey, now, now,
        taskId, input.stepStatus, input.stepNames,
        ...(run ? run.bindings : []),
      ],
    );
    if (rows.length !== 1) return undefined;
    const { secrets__, variables__, ...job } = rows[0]!;
    return { job: toJob(job)!, stored: secretsAndVariablesFromJson(secrets__, variables__) };
  }

  private async claimStepByStep(input: ClaimInput): Promise<ClaimedJob | undefined> {
    const { jobId, now } = input;
    const nextTaskId = "(select max(coalesce((select seq from sqlite_sequence where name = 'action_task'), 0), coalesce((select max(id) from action_task), 0)) + 1)";
    const rows = await nativeRows(
      this.k,
      this.dialect,
      `update action_run_job set task_id = ${nextTaskId}, status = 6, attempt = attempt + 1, started = ?, updated = ? where id = ? and status = 5 and task_id = 0 returning *`,
      [now, now, jobId],
    );
    const job = rows.length === 1 ? toJob(rows[0]) : undefined;
    if (!job) return undefined;
    const { sql, bindings } = insertSql('action_task', {
      id: job.task_id,
      log_filename: input.logFilename(job.task_id),
      job_id: job.id,
      attempt: job.attempt,
      runner_id: input.runnerId,
      status: input.taskStatus,
      started: now,
      stopped: 0,
      repo_id: job.repo_id,
      owner_id: job.owner_id,
      commit_sha: job.commit_sha,
      is_fork_pull_request: job.is_fork_pull_request,
      token_hash: input.tokenHash,
      runner_request_key: input.requestKey,
      created: now,
      updated: now,
    });
    await nativeRows(this.k, this.dialect, sql, bindings);
    await new TaskStepGateway(this.k, this.dialect).insertMany(
      input.stepNames.map((name, index) => ({ task_id: job.task_id, name, index, repo_id: job.repo_id, status: input.stepStatus, log_index: 0, log_length: 0, started: 0, stopped: 0 })),
    );
    if (input.run) await nativeUpdate(this.k, this.dialect, 'action_run', input.run.fields, { id: input.run.id });
    return { job };
  }
}
