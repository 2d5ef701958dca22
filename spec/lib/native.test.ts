import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrate, openDatabase, type Database } from '../../lib/db.js';
import { forEachDatabase, freshDatabaseUrl } from '../support/databases.js';
import { nativeFirst, nativeQuery, nativeUpdate, updateSql } from '../../models/native.js';

forEachDatabase('statements through the driver (models/native.ts)', (kind) => {
  let db: Database;
  let k: Knex;
  beforeEach(async () => {
    db = openDatabase(await freshDatabaseUrl(kind));
    await migrate(db);
    k = db.knex;
    await k('action_tasks_version').insert({ owner_id: 0, repo_id: 0, version: 1, created: 1, updated: 1 });
  });
  afterEach(() => db.knex.destroy());

  it('reads and writes with the same values as knex, booleans included', async () => {
    const n = await nativeUpdate(k, db.dialect, 'action_tasks_version', { version: 7, updated: 2 }, { owner_id: 0, repo_id: 0 });
    expect(n).to.equal(1);
    const row = await nativeFirst<{ version: number }>(k, db.dialect, 'select version from action_tasks_version where owner_id = ? and repo_id = ?', [0, 0]);
    expect(row).to.deep.equal({ version: 7 });
    expect(await k('action_tasks_version').first('version')).to.deep.equal({ version: 7 });
    const found = await nativeQuery(k, db.dialect, 'select count(*) as n from action_tasks_version where (version = 7) = ?', [true]);
    expect(Number(found.rows[0]!.n)).to.equal(1);
  });

  it('takes part in the caller\'s transaction: a rollback undoes its writes', async () => {
    await k
      .transaction(async (trx) => {
        await nativeUpdate(trx, db.dialect, 'action_tasks_version', { version: 9 }, { owner_id: 0, repo_id: 0 });
        expect((await nativeFirst<{ version: number }>(trx, db.dialect, 'select version from action_tasks_version', []))!.version).to.equal(9);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect((await k('action_tasks_version').first('version')).version).to.equal(1);
  });

  it('refuses an update whose condition has an undefined value instead of widening it', async () => {
    expect(() => updateSql('action_tasks_version', { version: 2 }, { owner_id: undefined })).to.throw(/undefined value for where owner_id/);
    expect(await nativeUpdate(k, db.dialect, 'action_tasks_version', { version: undefined }, { owner_id: 0 })).to.equal(0);
    expect((await k('action_tasks_version').first('version')).version).to.equal(1);
  });

  it('keeps working after another instance adds a column to a table it reads with select * (a rolling upgrade)', async () => {
    const read = () => nativeFirst<Record<string, unknown>>(k, db.dialect, 'select * from action_tasks_version where owner_id = ?', [0]);
    expect((await read())!.version).to.equal(1);
    await k.schema.alterTable('action_tasks_version', (t) => t.integer('added_later').defaultTo(5));
    expect((await read())!.added_later).to.equal(5);
    expect((await read())!.added_later).to.equal(5);
  });
});
