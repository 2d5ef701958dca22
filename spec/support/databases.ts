// Every model and service test runs against both SQLite and PostgreSQL.
// PostgreSQL is the ephemeral cluster (started on first use) unless
// DATABASE_URL names a server on which test databases may be created.
import path from 'node:path';
import { createDatabaseOn, startPostgres, type EphemeralPostgres } from './postgres.js';
import { tempDir } from './temp.js';

export type DbKind = 'sqlite' | 'postgres';
export const dbKinds: DbKind[] = ['sqlite', 'postgres'];

let cluster: Promise<EphemeralPostgres> | undefined;
let counter = 0;

export function postgresCluster(): Promise<EphemeralPostgres> {
  cluster ??= startPostgres();
  return cluster;
}

/** A fresh, empty database of the given kind, as a URL the plugin accepts. */
export async function freshDatabaseUrl(kind: DbKind): Promise<string> {
  counter++;
  if (kind === 'sqlite') {
    const dir = tempDir('sqlite');
    return `sqlite:${path.join(dir, 'actions.sqlite')}`;
  }
  const name = `t${process.pid}_${counter}`;
  if (process.env.DATABASE_URL) return createDatabaseOn(process.env.DATABASE_URL, name);
  return (await postgresCluster()).createDatabase(name);
}

export async function stopPostgresCluster(): Promise<void> {
  if (cluster) (await cluster).stop();
  cluster = undefined;
}

/** Declares the same suite once per database kind. */
export function forEachDatabase(title: string, body: (kind: DbKind) => void): void {
  for (const kind of dbKinds) describe(`${title} [${kind}]`, () => body(kind));
}
