// Variables: plain values per repository, owner or instance scope; a run sees
// all three with repository over owner over instance (job-lifecycle §6.4).
import type { Deps } from './deps.js';
import { nowMs } from './deps.js';
import { Conflict, NotFound } from './errors.js';
import type { Executor, StoredRow } from '../models/base.js';
import type { Dialect } from './db.js';
import { VariableGateway, type VariableRow } from '../models/variables.js';
import { scopeColumns, type Scope } from './scope.js';
import { normaliseValue, variableName } from './names.js';

export interface Variable {
  id: number;
  name: string;
  value: string;
  ownerId: number;
  repoId: number;
  /** unix milliseconds */
  created: number;
  updated: number;
}

function toVariable(r: VariableRow): Variable {
  return { id: r.id, name: r.name, value: r.data, ownerId: Number(r.owner_id), repoId: Number(r.repo_id), created: Number(r.created), updated: Number(r.updated) };
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(err.message ?? '');
}

/** POST: a new variable; Conflict when the name exists in the scope */
export async function createVariable(deps: Deps, scope: Scope, name: string, value: string): Promise<Variable> {
  const columns = scopeColumns(scope);
  const upper = variableName(name);
  const data = normaliseValue(value, 'value');
  try {
    return await deps.knex.transaction(async (trx) => {
      const vars = new VariableGateway(trx, deps.dialect);
      if (await vars.find(columns, upper)) throw new Conflict(`variable ${upper} already exists`, { field: 'name' });
      return toVariable(await vars.insert(columns, upper, data, nowMs(deps)));
    });
  } catch (e) {
    // two instances creating the same name: the unique key decides, the loser gets the same Conflict
    if (isUniqueViolation(e)) throw new Conflict(`variable ${upper} already exists`, { field: 'name', cause: e });
    throw e;
  }
}

/**
 * PUT: changes an existing variable of this scope (NotFound otherwise: a
 * variable of another scope is never reachable). `newName` renames it;
 * Conflict when that name is taken.
 */
export async function updateVariable(deps: Deps, scope: Scope, name: string, value: string, newName?: string): Promise<Variable> {
  const columns = scopeColumns(scope);
  const upper = typeof name === 'string' ? name.toUpperCase() : '';
  const target = newName === undefined || newName === '' ? upper : variableName(newName);
  const data = normaliseValue(value, 'value');
  try {
    return await deps.knex.transaction(async (trx) => {
      const vars = new VariableGateway(trx, deps.dialect);
      const row = await vars.find(columns, upper);
      if (!row) throw new NotFound(`variable ${upper} not found`, { field: 'name' });
      if (target !== upper && (await vars.find(columns, target))) throw new Conflict(`variable ${target} already exists`, { field: 'name' });
      const updated = nowMs(deps);
      await vars.update(row.id, { name: target, data, updated });
      return toVariable({ ...row, name: target, data, updated });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new Conflict(`variable ${target} already exists`, { field: 'name', cause: e });
    throw e;
  }
}

/** create-or-update, for hosts that do not distinguish */
export async function setVariable(deps: Deps, scope: Scope, name: string, value: string): Promise<Variable> {
  const columns = scopeColumns(scope);
  const upper = variableName(name);
  const existing = await new VariableGateway(deps.knex, deps.dialect).find(columns, upper);
  if (existing) return updateVariable(deps, scope, upper, value);
  try {
    return await createVariable(deps, scope, upper, value);
  } catch (e) {
    if (e instanceof Conflict) return updateVariable(deps, scope, upper, value); // created meanwhile
    throw e;
  }
}

export async function getVariable(deps: Deps, scope: Scope, name: string): Promise<Variable> {
  const upper = typeof name === 'string' ? name.toUpperCase() : '';
  const row = await new VariableGateway(deps.knex, deps.dialect).find(scopeColumns(scope), upper);
  if (!row) throw new NotFound(`variable ${upper} not found`, { field: 'name' });
  return toVariable(row);
}

export async function listVariables(deps: Deps, scope: Scope): Promise<Variable[]> {
  return (await new VariableGateway(deps.knex, deps.dialect).list(scopeColumns(scope))).map(toVariable);
}

export async function deleteVariable(deps: Deps, scope: Scope, name: string): Promise<void> {
  const upper = typeof name === 'string' ? name.toUpperCase() : '';
  const columns = scopeColumns(scope);
  const deleted = await deps.knex.transaction(async (trx) => {
    const vars = new VariableGateway(trx, deps.dialect);
    const row = await vars.find(columns, upper);
    return row ? vars.delete(row.id) : 0;
  });
  if (!deleted) throw new NotFound(`variable ${upper} not found`, { field: 'name' });
}

/** the `vars` of a run: instance, then owner, then repository (later wins); fork pull requests see them too */
export async function variablesForRun(k: Executor, dialect: Dialect, ownerId: number, repoId: number): Promise<Record<string, string>> {
  return variablesFromRows(await new VariableGateway(k, dialect).forRun(ownerId, repoId));
}

/** the `vars` map of rows in scope order (VariableGateway.forRun, secretsAndVariablesForRun) */
export function variablesFromRows(rows: StoredRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) out[r.name] = r.data;
  return out;
}
