import { expect } from 'chai';
import { FailedPrecondition, InvalidArgument, NotFound } from '../../lib/errors.js';
import { deleteSecret, listSecrets, secretsOfJob, setSecret } from '../../lib/secrets.js';
import { rotateSecretKey } from '../../lib/keys.js';
import { ensureSigningKey, rotateSigningKey } from '../../lib/oidc/signing-keys.js';
import { openDatabase, migrate } from '../../lib/db.js';
import { forEachDatabase, freshDatabaseUrl } from '../support/databases.js';
import { fixture, openDeps, OWNER_ID, REPO_ID, type TestDeps } from './helpers.js';

const repo = { repoId: REPO_ID };
const owner = { ownerId: OWNER_ID };
const instance = {};

forEachDatabase('secrets', (kind) => {
  let deps: TestDeps;
  beforeEach(async () => {
    deps = await openDeps(kind, { secretKey: 'a test master key of some length' });
  });
  afterEach(async () => deps.close());

  it('stores names upper-cased and values with CRLF as LF, untrimmed, and never in clear text', async () => {
    const value = "   \r\n\tSecrët dåtä\\   \r\n";
    expect(await setSecret(deps, repo, 'my_secret', value)).to.deep.equal({ name: 'MY_SECRET', created: true });
    const rows = await deps.knex('action_secret').select();
    expect(rows).to.have.length(1);
    expect(rows[0].name).to.equal('MY_SECRET');
    expect(Number(rows[0].owner_id)).to.equal(0);
    expect(Number(rows[0].repo_id)).to.equal(REPO_ID);
    const stored = String(rows[0].data);
    expect(stored).not.to.include('Secrët');
    expect(stored).not.to.include('dåtä');
    expect(Buffer.from(stored.slice(3), 'base64').toString('latin1')).not.to.include('Secr');
    const { run, job } = await fixture(deps);
    expect(await secretsOfJob(deps.knex, deps, run, job)).to.deep.equal({ MY_SECRET: "   \n\tSecrët dåtä\\   \n" });
  });

  it('a ciphertext moved to another row does not decrypt (it is bound to its row id)', async () => {
    await setSecret(deps, repo, 'A', 'first');
    await setSecret(deps, repo, 'B', 'second');
    const a = await deps.knex('action_secret').where({ name: 'A' }).first();
    await deps.knex('action_secret').where({ name: 'B' }).update({ data: a.data });
    const { run, job } = await fixture(deps);
    const err = await secretsOfJob(deps.knex, deps, run, job).then(() => null, (e: unknown) => e);
    expect(String(err)).to.match(/failure to fetch secrets/);
  });

  it('updates in place, lists names and dates only, deletes, and reports a missing name', async () => {
    await setSecret(deps, owner, 'token', 'v1');
    deps.clock.advance(1000);
    expect(await setSecret(deps, owner, 'TOKEN', 'v2')).to.deep.equal({ name: 'TOKEN', created: false });
    const list = await listSecrets(deps, owner);
    expect(list).to.have.length(1);
    expect(Object.keys(list[0]!).sort()).to.deep.equal(['created', 'name', 'updated']);
    expect(list[0]!.name).to.equal('TOKEN');
    expect(list[0]!.updated - list[0]!.created).to.equal(1000);
    expect(JSON.stringify(list)).not.to.include('v2');
    expect(await listSecrets(deps, repo)).to.deep.equal([]);
    const missing = await deleteSecret(deps, repo, 'TOKEN').then(() => null, (e: unknown) => e);
    expect(missing).to.be.instanceOf(NotFound);
    await deleteSecret(deps, owner, 'token');
    expect(await listSecrets(deps, owner)).to.deep.equal([]);
  });

  it('refuses bad names, empty and oversized values, and bad scopes with InvalidArgument naming the rule', async () => {
    for (const [name, data, rule] of [
      ['GITHUB_TOKEN', 'x', /GITEA_ or GITHUB_/],
      ['1X', 'x', /letters, digits/],
      ['OK', '', /data: is required/],
      ['OK', 'x'.repeat(65536), /at most 65535/],
    ] as const) {
      const err = await setSecret(deps, repo, name, data).then(() => null, (e: unknown) => e);
      expect(err, name).to.be.instanceOf(InvalidArgument);
      expect(String(err)).to.match(rule);
    }
    const err = await setSecret(deps, { repoId: -1 }, 'OK', 'x').then(() => null, (e: unknown) => e);
    expect(String(err)).to.match(/repoId: must be a positive integer/);
    expect(await deps.knex('action_secret').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);
  });

  it('a run gets instance, owner and repository secrets, the narrower scope winning', async () => {
    await setSecret(deps, instance, 'shared', 'instance');
    await setSecret(deps, instance, 'only_instance', 'i');
    await setSecret(deps, owner, 'shared', 'owner');
    await setSecret(deps, owner, 'secret_1', 'the sky is blue');
    await setSecret(deps, repo, 'secret_2', 'the ocean is also blue');
    await setSecret(deps, { ownerId: 99 }, 'other_owner', 'no');
    await setSecret(deps, { repoId: 99 }, 'other_repo', 'no');
    const { run, job } = await fixture(deps);
    expect(await secretsOfJob(deps.knex, deps, run, job)).to.deep.equal({
      ONLY_INSTANCE: 'i',
      SHARED: 'owner',
      SECRET_1: 'the sky is blue',
      SECRET_2: 'the ocean is also blue',
    });
    await setSecret(deps, repo, 'shared', 'repo');
    expect((await secretsOfJob(deps.knex, deps, run, job)).SHARED).to.equal('repo');
  });

  it('rotateSecretKey re-encrypts every secret and refuses a wrong old key', async () => {
    await setSecret(deps, repo, 'A', 'alpha');
    await setSecret(deps, owner, 'B', 'beta');
    const before = (await deps.knex('action_secret').orderBy('id')).map((r: { data: string }) => r.data);
    const wrongOld = await rotateSecretKey(deps, 'not the key at all!!', 'the next master key, long').then(() => null, (e: unknown) => e);
    expect(String(wrongOld)).to.match(/oldKey/);
    const result = await rotateSecretKey(deps, 'a test master key of some length', 'the next master key, long');
    expect(result.secrets).to.equal(2);
    const after = (await deps.knex('action_secret').orderBy('id')).map((r: { data: string }) => r.data);
    expect(after[0]).not.to.equal(before[0]);
    const { run, job } = await fixture(deps);
    expect(await secretsOfJob(deps.knex, deps, run, job)).to.deep.equal({ A: 'alpha', B: 'beta' });
  });

  it('an instance started with another secretKey is refused while secrets exist', async () => {
    const databaseUrl = await freshDatabaseUrl(kind);
    const first = await openDeps(kind, { databaseUrl, secretKey: 'the first key, long enough' });
    try {
      await setSecret(first, repo, 'A', 'alpha');
      const err = await openDeps(kind, { databaseUrl, secretKey: 'some other key, long enough' }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(FailedPrecondition);
      expect(String(err)).to.match(/rotateSecretKey/);
      await rotateSecretKey(first, 'the first key, long enough', 'some other key, long enough');
      const second = await openDeps(kind, { databaseUrl, secretKey: 'some other key, long enough' });
      const { run, job } = await fixture(second);
      expect(await secretsOfJob(second.knex, second, run, job)).to.deep.equal({ A: 'alpha' });
      await second.close();
    } finally {
      await first.close();
    }
  });

  it('an instance not yet restarted after another rotated the key refuses to write secrets no instance could read', async () => {
    const databaseUrl = await freshDatabaseUrl(kind);
    const a = await openDeps(kind, { databaseUrl, secretKey: 'the first key, long enough' });
    const b = await openDeps(kind, { databaseUrl, secretKey: 'the first key, long enough' });
    try {
      await setSecret(a, repo, 'A', 'alpha');
      await rotateSecretKey(a, 'the first key, long enough', 'the rotated key, long enough');
      const stale = await setSecret(b, repo, 'B', 'beta').then(() => null, (e: unknown) => e);
      expect(stale).to.be.instanceOf(FailedPrecondition);
      expect(String(stale)).to.match(/restart this instance/);
      expect(await b.knex('action_secret').where({ name: 'B' })).to.have.length(0);
      await setSecret(a, repo, 'B', 'beta');
      const { run, job } = await fixture(a);
      expect(await secretsOfJob(a.knex, a, run, job)).to.deep.equal({ A: 'alpha', B: 'beta' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an instance not yet restarted after another rotated the key refuses to make OIDC signing keys no instance could read', async () => {
    const databaseUrl = await freshDatabaseUrl(kind);
    const a = await openDeps(kind, { databaseUrl, secretKey: 'the first key, long enough' });
    const b = await openDeps(kind, { databaseUrl, secretKey: 'the first key, long enough' });
    try {
      await rotateSecretKey(a, 'the first key, long enough', 'the rotated key, long enough');
      const ensured = await ensureSigningKey(b).then(() => null, (e: unknown) => e);
      expect(ensured).to.be.instanceOf(FailedPrecondition);
      const rotated = await rotateSigningKey(b).then(() => null, (e: unknown) => e);
      expect(rotated).to.be.instanceOf(FailedPrecondition);
      expect(String(rotated)).to.match(/restart this instance/);
      expect(await b.knex('action_signing_key')).to.have.length(0);
      await ensureSigningKey(a);
      expect(await a.knex('action_signing_key')).to.have.length(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('without the option, instances on one database generate one key and agree on it', async () => {
    const databaseUrl = await freshDatabaseUrl(kind);
    // migrate first: the race under test is the key's insert-if-absent, not SQLite's migration table
    const db = openDatabase(databaseUrl);
    await migrate(db);
    await db.knex.destroy();
    const [a, b] = await Promise.all([openDeps(kind, { databaseUrl, skipMigrations: true }), openDeps(kind, { databaseUrl, skipMigrations: true })]);
    try {
      expect(a.config.secretKey).to.be.a('string').with.length.greaterThan(30);
      expect(b.config.secretKey).to.equal(a.config.secretKey);
      await setSecret(a, repo, 'A', 'alpha');
      const { run, job } = await fixture(b);
      expect(await secretsOfJob(b.knex, b, run, job)).to.deep.equal({ A: 'alpha' });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
