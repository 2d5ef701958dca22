// The whole data model (Forgejo's action_* tables, plus the rows this plugin
// needs to hold across instances: schedule occurrences, leases, log rows).
// Times are unix milliseconds from the plugin clock; 0 means "not yet".
// Scope columns use 0 for "none", as Forgejo does, so unique keys stay simple.
import type { Knex } from 'knex';

const ms = (t: Knex.CreateTableBuilder, name: string) => t.bigInteger(name).notNullable().defaultTo(0);

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('action_repository', (t) => {
    // the host's repository object as last seen, for work that starts without an event (schedules, commit statuses)
    t.bigInteger('id').primary();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.string('full_name', 512).notNullable();
    t.string('default_branch', 255).notNullable().defaultTo('');
    t.boolean('archived').notNullable().defaultTo(false);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.text('data').notNullable();
    ms(t, 'updated');
    t.index(['owner_id']);
  });

  await knex.schema.createTable('action_run_index', (t) => {
    t.bigInteger('repo_id').primary();
    t.integer('max_index').notNullable().defaultTo(0);
  });

  await knex.schema.createTable('action_run', (t) => {
    t.increments('id');
    t.bigInteger('repo_id').notNullable();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.integer('run_number').notNullable();
    t.string('title', 255).notNullable().defaultTo('');
    t.string('workflow_id', 255).notNullable();
    t.string('workflow_directory', 255).notNullable().defaultTo('.forgejo/workflows');
    t.bigInteger('trigger_user_id').notNullable().defaultTo(0);
    t.string('trigger_user', 255).notNullable().defaultTo('');
    t.integer('schedule_id').notNullable().defaultTo(0);
    t.string('ref', 1024).notNullable().defaultTo('');
    t.string('commit_sha', 64).notNullable().defaultTo('');
    t.string('event', 64).notNullable();
    t.string('trigger_event', 64).notNullable().defaultTo('');
    t.text('event_payload').notNullable();
    t.integer('status').notNullable();
    t.integer('version').notNullable().defaultTo(0);
    ms(t, 'started');
    ms(t, 'stopped');
    ms(t, 'previous_duration');
    t.boolean('need_approval').notNullable().defaultTo(false);
    t.bigInteger('approved_by').notNullable().defaultTo(0);
    t.boolean('is_fork_pull_request').notNullable().defaultTo(false);
    t.bigInteger('pull_request_poster_id').notNullable().defaultTo(0);
    t.bigInteger('pull_request_number').notNullable().defaultTo(0);
    t.string('concurrency_group', 512).notNullable().defaultTo('');
    t.integer('concurrency_type').notNullable().defaultTo(0);
    t.integer('pre_execution_error_code').notNullable().defaultTo(0);
    t.text('pre_execution_error_details').notNullable().defaultTo('');
    // the delivery an event came from: the same delivery never creates a workflow's run twice
    t.string('delivery_key', 255).nullable();
    t.boolean('done_notified').notNullable().defaultTo(false);
    ms(t, 'created');
    ms(t, 'updated');
    t.unique(['repo_id', 'run_number']);
    t.unique(['repo_id', 'delivery_key', 'workflow_id']);
    t.index(['repo_id', 'status']);
    t.index(['repo_id', 'workflow_id', 'ref']);
    t.index(['repo_id', 'concurrency_group']);
  });

  await knex.schema.createTable('action_run_job', (t) => {
    t.increments('id');
    t.integer('run_id').notNullable().references('id').inTable('action_run').onDelete('CASCADE');
    t.bigInteger('repo_id').notNullable();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.string('commit_sha', 64).notNullable().defaultTo('');
    t.boolean('is_fork_pull_request').notNullable().defaultTo(false);
    t.string('name', 255).notNullable();
    t.string('job_id', 255).notNullable();
    t.integer('attempt').notNullable().defaultTo(0);
    t.text('workflow_payload').notNullable();
    t.text('needs').notNullable().defaultTo('[]');
    t.text('runs_on').notNullable().defaultTo('[]');
    t.integer('task_id').notNullable().defaultTo(0);
    t.integer('status').notNullable();
    t.string('concurrency_group', 512).notNullable().defaultTo('');
    t.boolean('concurrency_cancel').notNullable().defaultTo(false);
    ms(t, 'started');
    ms(t, 'stopped');
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['run_id']);
    // FetchTask: waiting, unclaimed jobs of a scope in (updated, id) order
    t.index(['status', 'task_id', 'repo_id', 'updated', 'id'], 'action_run_job_waiting_repo');
    t.index(['status', 'task_id', 'owner_id', 'updated', 'id'], 'action_run_job_waiting_owner');
    t.index(['status', 'task_id', 'updated', 'id'], 'action_run_job_waiting_all');
  });

  await knex.schema.createTable('action_runner', (t) => {
    t.increments('id');
    t.string('uuid', 36).notNullable().unique();
    t.string('name', 255).notNullable();
    t.string('version', 64).notNullable().defaultTo('');
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.bigInteger('repo_id').notNullable().defaultTo(0);
    t.text('description').notNullable().defaultTo('');
    // sha256 of a random 160-bit token: a fast hash is enough for random secrets
    t.string('token_hash', 64).notNullable().unique();
    t.text('labels').notNullable().defaultTo('[]');
    t.boolean('ephemeral').notNullable().defaultTo(false);
    ms(t, 'last_online');
    ms(t, 'last_active');
    ms(t, 'deleted');
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['owner_id', 'repo_id']);
  });

  await knex.schema.createTable('action_runner_token', (t) => {
    t.increments('id');
    t.string('token', 64).notNullable().unique();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.bigInteger('repo_id').notNullable().defaultTo(0);
    t.boolean('is_active').notNullable().defaultTo(true);
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['owner_id', 'repo_id']);
  });

  await knex.schema.createTable('action_tasks_version', (t) => {
    t.increments('id');
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.bigInteger('repo_id').notNullable().defaultTo(0);
    t.bigInteger('version').notNullable().defaultTo(0);
    ms(t, 'created');
    ms(t, 'updated');
    t.unique(['owner_id', 'repo_id']);
  });

  await knex.schema.createTable('action_task', (t) => {
    t.increments('id');
    t.integer('job_id').notNullable().references('id').inTable('action_run_job').onDelete('CASCADE');
    t.integer('attempt').notNullable().defaultTo(0);
    t.integer('runner_id').notNullable().defaultTo(0);
    t.integer('status').notNullable();
    ms(t, 'started');
    ms(t, 'stopped');
    t.bigInteger('repo_id').notNullable();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.string('commit_sha', 64).notNullable().defaultTo('');
    t.boolean('is_fork_pull_request').notNullable().defaultTo(false);
    t.string('token_hash', 64).nullable().unique();
    t.string('runner_request_key', 255).nullable();
    t.string('log_filename', 1024).notNullable().defaultTo('');
    t.boolean('log_in_storage').notNullable().defaultTo(false);
    t.integer('log_length').notNullable().defaultTo(0);
    t.bigInteger('log_size').notNullable().defaultTo(0);
    t.boolean('log_expired').notNullable().defaultTo(false);
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['runner_id', 'runner_request_key'], 'action_task_request_key');
    t.index(['status', 'updated']);
    t.index(['status', 'started']);
    t.index(['job_id']);
  });

  await knex.schema.createTable('action_task_step', (t) => {
    t.increments('id');
    t.integer('task_id').notNullable().references('id').inTable('action_task').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.integer('index').notNullable();
    t.bigInteger('repo_id').notNullable();
    t.integer('status').notNullable();
    t.integer('log_index').notNullable().defaultTo(0);
    t.integer('log_length').notNullable().defaultTo(0);
    ms(t, 'started');
    ms(t, 'stopped');
    t.unique(['task_id', 'index']);
  });

  await knex.schema.createTable('action_task_output', (t) => {
    t.increments('id');
    t.integer('task_id').notNullable().references('id').inTable('action_task').onDelete('CASCADE');
    t.string('output_key', 255).notNullable();
    t.text('output_value').notNullable();
    t.unique(['task_id', 'output_key']);
  });

  await knex.schema.createTable('action_log_row', (t) => {
    // rows of a running task: the unique key makes a retried batch a no-op on any instance
    t.bigIncrements('id');
    t.integer('task_id').notNullable().references('id').inTable('action_task').onDelete('CASCADE');
    t.integer('index').notNullable();
    ms(t, 'time');
    t.text('content').notNullable();
    t.unique(['task_id', 'index']);
  });

  await knex.schema.createTable('action_schedule', (t) => {
    t.increments('id');
    t.string('title', 255).notNullable().defaultTo('');
    t.text('specs').notNullable().defaultTo('[]');
    t.bigInteger('repo_id').notNullable();
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.string('workflow_id', 255).notNullable();
    t.string('workflow_directory', 255).notNullable().defaultTo('.forgejo/workflows');
    t.bigInteger('trigger_user_id').notNullable().defaultTo(-2);
    t.string('ref', 1024).notNullable().defaultTo('');
    t.string('commit_sha', 64).notNullable().defaultTo('');
    t.string('event', 64).notNullable().defaultTo('push');
    t.text('event_payload').notNullable();
    t.text('content').notNullable();
    t.text('disabled_reason').notNullable().defaultTo('');
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['repo_id']);
  });

  await knex.schema.createTable('action_schedule_spec', (t) => {
    t.increments('id');
    t.bigInteger('repo_id').notNullable();
    t.integer('schedule_id').notNullable().references('id').inTable('action_schedule').onDelete('CASCADE');
    t.string('spec', 255).notNullable();
    t.string('timezone', 64).notNullable().defaultTo('');
    ms(t, 'next');
    ms(t, 'prev');
    ms(t, 'created');
    ms(t, 'updated');
    t.index(['next']);
    t.index(['schedule_id']);
  });

  await knex.schema.createTable('action_schedule_occurrence', (t) => {
    // one row per (spec, due time): the unique key is what fires an occurrence once across instances
    t.increments('id');
    t.integer('spec_id').notNullable();
    ms(t, 'due');
    t.integer('run_id').notNullable().defaultTo(0);
    ms(t, 'created');
    t.unique(['spec_id', 'due']);
  });

  await knex.schema.createTable('action_disabled_workflow', (t) => {
    t.bigInteger('repo_id').notNullable();
    t.string('workflow_id', 255).notNullable();
    t.text('reason').notNullable().defaultTo('');
    ms(t, 'created');
    t.primary(['repo_id', 'workflow_id']);
  });

  await knex.schema.createTable('action_secret', (t) => {
    t.increments('id');
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.bigInteger('repo_id').notNullable().defaultTo(0);
    t.string('name', 255).notNullable();
    t.text('data').notNullable();
    ms(t, 'created');
    ms(t, 'updated');
    t.unique(['owner_id', 'repo_id', 'name']);
  });

  await knex.schema.createTable('action_variable', (t) => {
    t.increments('id');
    t.bigInteger('owner_id').notNullable().defaultTo(0);
    t.bigInteger('repo_id').notNullable().defaultTo(0);
    t.string('name', 255).notNullable();
    t.text('data').notNullable();
    ms(t, 'created');
    ms(t, 'updated');
    t.unique(['owner_id', 'repo_id', 'name']);
  });

  await knex.schema.createTable('action_trusted_user', (t) => {
    t.bigInteger('repo_id').notNullable();
    t.bigInteger('user_id').notNullable();
    ms(t, 'created');
    t.primary(['repo_id', 'user_id']);
  });

  await knex.schema.createTable('action_commit_status', (t) => {
    // the last status written per commit and context: write only on change
    t.bigInteger('repo_id').notNullable();
    t.string('commit_sha', 64).notNullable();
    t.string('context', 512).notNullable();
    t.string('state', 32).notNullable();
    t.text('description').notNullable();
    ms(t, 'updated');
    t.primary(['repo_id', 'commit_sha', 'context']);
  });

  await knex.schema.createTable('action_lease', (t) => {
    // maintenance passes: the row decides which instance runs a pass
    t.string('name', 64).primary();
    t.string('holder', 255).notNullable().defaultTo('');
    ms(t, 'expires');
    ms(t, 'last_run');
  });

  await knex.schema.createTable('action_setting', (t) => {
    t.string('key', 128).primary();
    t.text('value').notNullable();
    ms(t, 'updated');
  });

  await knex.schema.createTable('action_signing_key', (t) => {
    // OIDC signing keys; a retired key stays published until its tokens expire
    t.increments('id');
    t.string('kid', 64).notNullable().unique();
    t.text('private_jwk').notNullable();
    t.text('public_jwk').notNullable();
    ms(t, 'created');
    ms(t, 'retired');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'action_signing_key',
    'action_setting',
    'action_lease',
    'action_commit_status',
    'action_trusted_user',
    'action_variable',
    'action_secret',
    'action_disabled_workflow',
    'action_schedule_occurrence',
    'action_schedule_spec',
    'action_schedule',
    'action_log_row',
    'action_task_output',
    'action_task_step',
    'action_task',
    'action_tasks_version',
    'action_runner_token',
    'action_runner',
    'action_run_job',
    'action_run',
    'action_run_index',
    'action_repository',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
