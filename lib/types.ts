// Public types of the contract (see README "Embedding"): what the host hands in
// and what the plugin hands back.
import type { Request } from 'express';

/** The webhook `repository` object of Forgejo, Gitea and GitHub (snake_case). */
export interface Repository {
  id: number;
  name: string;
  full_name: string;
  owner: { id: number; login: string; type?: string; [k: string]: unknown };
  default_branch?: string;
  private?: boolean;
  fork?: boolean;
  archived?: boolean;
  disabled?: boolean;
  clone_url?: string;
  html_url?: string;
  [k: string]: unknown;
}

export interface CommitStatus {
  state: 'pending' | 'success' | 'error' | 'failure' | 'warning';
  context: string;
  description: string;
  target_url: string;
}

export type Permission = 'read' | 'write' | 'admin';

/** The only way the plugin learns about repositories. Every method is async. */
export interface HostAdapter {
  /** workflow files at a commit: a recursive listing of `dir`, paths relative to it; null when the directory does not exist */
  listFiles(repo: Repository, sha: string, dir: string): Promise<string[] | null>;
  readFile(repo: Repository, sha: string, path: string): Promise<string | null>;
  resolveRef?(repo: Repository, ref: string): Promise<string | null>;
  changedFiles?(repo: Repository, base: string, head: string): Promise<string[]>;
  getRepository?(fullName: string): Promise<Repository | null>;
  userCanWrite?(repo: Repository, userId: number): Promise<boolean>;
  createCommitStatus?(repo: Repository, sha: string, status: CommitStatus): Promise<void>;
  authorize?(req: Request, need: Permission): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

export type StatusWord = 'unknown' | 'waiting' | 'running' | 'success' | 'failure' | 'cancelled' | 'skipped' | 'blocked';

/** A run as the REST API and `service` return it. */
export interface Run {
  id: number;
  run_number: number;
  workflow_id: string;
  title: string;
  event: string;
  status: StatusWord;
  ref: string;
  commit_sha: string;
  trigger_user: string;
  need_approval: boolean;
  started: string | null;
  stopped: string | null;
  created: string;
  updated: string;
  html_url: string;
  /** why the run failed before any job started (Forgejo's pre-execution error), or null */
  pre_execution_error: string | null;
}

/** A job as the REST API and `service` return it. */
export interface Job {
  id: number;
  run_id: number;
  job_id: string;
  name: string;
  status: StatusWord;
  attempt: number;
  runs_on: string[];
  needs: string[];
  task_id: number;
  started: string | null;
  stopped: string | null;
  waiting_reason: string | null;
}

/** What `verifyTaskToken` resolves a task's automatic token to. */
export interface TaskTokenInfo {
  taskId: number;
  repoId: number;
  ownerId: number;
  access: 'read' | 'write';
}
