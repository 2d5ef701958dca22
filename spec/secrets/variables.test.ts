import { expect } from 'chai';
import { Conflict, InvalidArgument, NotFound } from '../../lib/errors.js';
import {
  createVariable, deleteVariable, getVariable, listVariables, setVariable, updateVariable, variablesForRun,
} from '../../lib/variables.js';
import { buildTaskPayload } from '../../lib/task-payload.js';
import { forEachDatabase } from '../support/databases.js';
import { fixture, openDeps, OWNER_ID, REPO_ID, type TestDeps } from './helpers.js';

const rejection = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

forEachDatabase('variables', (kind) => {
  let deps: TestDeps;
  beforeEach(async () => {
    deps = await openDeps(kind, { secretKey: 'a test master key of some length' });
  });
  afterEach(async () => deps.close());

  it('creates with the name upper-cased and the value CRLF→LF, untrimmed; a duplicate is a Conflict', async () => {
    const v = await createVariable(deps, { repoId: REPO_ID }, 'glados_quote', "   \r\n\tI'm fine…   \r\n");
    expect(v).to.include({ name: 'GLADOS_QUOTE', value: "   \n\tI'm fine…   \n", repoId: REPO_ID, ownerId: 0 });
    expect(await rejection(createVariable(deps, { repoId: REPO_ID }, 'GLADOS_QUOTE', 'x'))).to.be.instanceOf(Conflict);
    // the same name in another scope is another variable
    await createVariable(deps, { ownerId: OWNER_ID }, 'glados_quote', 'owner');
    expect((await getVariable(deps, { repoId: REPO_ID }, 'glados_quote')).value).to.equal("   \n\tI'm fine…   \n");
  });

  it('refuses CI but accepts CI_SOMETHING, and names the rule', async () => {
    const err = await rejection(createVariable(deps, {}, 'ci', 'x'));
    expect(err).to.be.instanceOf(InvalidArgument);
    expect(String(err)).to.match(/cannot be ci/);
    expect((await createVariable(deps, {}, 'CI_SOMETHING', 'x')).name).to.equal('CI_SOMETHING');
    expect(String(await rejection(createVariable(deps, {}, 'OK', '')))).to.match(/value: is required/);
    expect(String(await rejection(createVariable(deps, {}, 'OK', 'x'.repeat(65536))))).to.match(/at most 65535/);
  });

  it('update, rename and delete reach only the variable of the same scope', async () => {
    await createVariable(deps, { ownerId: OWNER_ID }, 'glados_quote', 'owner');
    for (const other of [{}, { repoId: REPO_ID }, { ownerId: 3 }]) {
      expect(await rejection(updateVariable(deps, other, 'GLADOS_QUOTE', 'x'))).to.be.instanceOf(NotFound);
      expect(await rejection(deleteVariable(deps, other, 'GLADOS_QUOTE'))).to.be.instanceOf(NotFound);
    }
    deps.clock.advance(5000);
    const updated = await updateVariable(deps, { ownerId: OWNER_ID }, 'glados_quote', 'two\r\n');
    expect(updated).to.include({ name: 'GLADOS_QUOTE', value: 'two\n' });
    expect(updated.updated - updated.created).to.equal(5000);
    await createVariable(deps, { ownerId: OWNER_ID }, 'taken', 'x');
    expect(await rejection(updateVariable(deps, { ownerId: OWNER_ID }, 'GLADOS_QUOTE', 'v', 'taken'))).to.be.instanceOf(Conflict);
    expect(await rejection(updateVariable(deps, { ownerId: OWNER_ID }, 'GLADOS_QUOTE', 'v', 'ci'))).to.be.instanceOf(InvalidArgument);
    await updateVariable(deps, { ownerId: OWNER_ID }, 'GLADOS_QUOTE', 'renamed', 'new_name');
    expect((await listVariables(deps, { ownerId: OWNER_ID })).map((v) => [v.name, v.value])).to.deep.equal([
      ['NEW_NAME', 'renamed'],
      ['TAKEN', 'x'],
    ]);
    await deleteVariable(deps, { ownerId: OWNER_ID }, 'new_name');
    expect(await rejection(getVariable(deps, { ownerId: OWNER_ID }, 'NEW_NAME'))).to.be.instanceOf(NotFound);
  });

  it('setVariable creates or replaces', async () => {
    await setVariable(deps, {}, 'runner', 'ubuntu');
    await setVariable(deps, {}, 'RUNNER', 'windows');
    expect((await listVariables(deps, {})).map((v) => v.value)).to.deep.equal(['windows']);
  });

  it('a run sees repository over owner over instance, fork pull requests included', async () => {
    await createVariable(deps, {}, 'global_var', 'this is a global variable');
    await createVariable(deps, {}, 'shared', 'instance');
    await createVariable(deps, { ownerId: OWNER_ID }, 'org_var', 'this is an org variable');
    await createVariable(deps, { ownerId: OWNER_ID }, 'shared', 'owner');
    await createVariable(deps, { repoId: REPO_ID }, 'repo_var', 'this is a repo variable');
    await createVariable(deps, { ownerId: 77 }, 'foreign', 'no');
    await createVariable(deps, { repoId: 77 }, 'foreign2', 'no');
    const expected = {
      GLOBAL_VAR: 'this is a global variable',
      ORG_VAR: 'this is an org variable',
      REPO_VAR: 'this is a repo variable',
      SHARED: 'owner',
    };
    expect(await variablesForRun(deps.knex, deps.dialect, OWNER_ID, REPO_ID)).to.deep.equal(expected);
    await createVariable(deps, { repoId: REPO_ID }, 'shared', 'repo');
    const fork = await fixture(deps, { event: 'pull_request', fork: true });
    const payload = await buildTaskPayload(deps.knex, deps, fork);
    expect(payload.vars).to.deep.equal({ ...expected, SHARED: 'repo' });
  });
});
