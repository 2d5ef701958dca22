import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { actionsPlugin, InvalidArgument, Unavailable } from '../../lib/index.js';
import { openDatabase, migrate, rollbackAll } from '../../lib/db.js';
import { forEachDatabase, freshDatabaseUrl } from '../support/databases.js';
import { silentLogger } from '../support/plugin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tables = [
  'action_run', 'action_run_job', 'action_task', 'action_task_step', 'action_task_output', 'action_runner',
  'action_runner_token', 'action_tasks_version', 'action_schedule', 'action_schedule_spec', 'action_schedule_occurrence',
  'action_secret', 'action_variable', 'action_trusted_user', 'action_log_row', 'action_lease',
];

describe('actionsPlugin options', () => {
  it('refuses an unknown option and names it', () => {
    expect(() => actionsPlugin({ databse: 'x' } as never)).to.throw(InvalidArgument, /unknown option "databse"/);
  });
  it('refuses a bad option value and names the option', () => {
    expect(() => actionsPlugin({ publicUrl: 'ftp://x' })).to.throw(InvalidArgument, /publicUrl/);
    expect(() => actionsPlugin({ timeouts: { zombie: -1 } })).to.throw(InvalidArgument, /timeouts\.zombie/);
    expect(() => actionsPlugin({ host: {} as never })).to.throw(InvalidArgument, /host: must be a HostAdapter/);
  });
  it('rejects ready with the cause for an unknown database URL scheme', async () => {
    const plugin = actionsPlugin({ database: 'mysql://localhost/x', logger: silentLogger, cron: false });
    const err = await plugin.ready.then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidArgument);
    expect(String(err)).to.match(/unsupported URL scheme "mysql:"/);
  });
  it('rejects ready as unavailable for an unreachable PostgreSQL', async () => {
    const plugin = actionsPlugin({ database: 'postgres://nobody@127.0.0.1:1/none', logger: silentLogger, cron: false });
    const err = await plugin.ready.then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(Unavailable);
    await plugin.close();
  });
});

forEachDatabase('migrations', (kind) => {
  it('create every table, and roll back to an empty schema', async () => {
    const db = openDatabase(await freshDatabaseUrl(kind));
    try {
      await migrate(db);
      for (const t of tables) expect(await db.knex.schema.hasTable(t), t).to.equal(true);
      await migrate(db); // a second run finds nothing to do
      await rollbackAll(db);
      for (const t of tables) expect(await db.knex.schema.hasTable(t), t).to.equal(false);
    } finally {
      await db.knex.destroy();
    }
  });
});

describe('migrations on PostgreSQL from two processes at once', () => {
  it('apply once and both instances come up', async function () {
    this.timeout(60_000);
    const url = await freshDatabaseUrl('postgres');
    const child = () =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', path.join(here, '../support/migrate-child.ts'), url], (err, stdout) =>
          err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout.trim()),
        ),
      );
    const outputs = await Promise.all([child(), child()]);
    expect(outputs).to.deep.equal(['ready', 'ready']);
    const k = knexFactory({ client: 'pg', connection: url });
    try {
      const rows = await k('action_migrations').select('name');
      expect(rows.map((r: { name: string }) => r.name)).to.deep.equal(['001_initial']);
    } finally {
      await k.destroy();
    }
  });
});

describe('the sqlite3 Knex client', () => {
  it('works when configured instead of better-sqlite3', async function () {
    let available = true;
    try {
      await import('sqlite3' as string);
    } catch {
      available = false;
    }
    if (!available) this.skip();
    const url = (await freshDatabaseUrl('sqlite')).replace(/^sqlite:/, 'sqlite3:');
    const db = openDatabase(url);
    try {
      await migrate(db);
      expect(await db.knex.schema.hasTable('action_run')).to.equal(true);
    } finally {
      await db.knex.destroy();
    }
  });
});
