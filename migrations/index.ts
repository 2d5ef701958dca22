// Migrations ship inside the package and are listed here in order, so they load
// the same way under tsx, a bundler or compiled output (no directory scanning).
import type { Knex } from 'knex';
import * as initial from './001_initial.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Array<[string, Migration]> = [['001_initial', initial]];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
