// Secrets, variables and runners of one scope (a repository, an owner, or the
// instance). The same routes serve /repos/{o}/{r}/actions, /orgs/{org}/actions,
// /user/actions and /admin/actions; `scopeOf` says which scope a request means.
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { Deps } from '../../lib/deps.js';
import type { Service } from '../../lib/service.js';
import type { Scope } from '../../lib/scope.js';
import { requirePermission } from './auth.js';
import { route } from './errors.js';
import { bodyObject, bodyString, idParam } from './params.js';
import { InvalidArgument } from '../../lib/errors.js';

export type ScopeOf = (req: Request, res: Response) => Promise<Scope>;

const iso = (ms: number) => new Date(ms).toISOString();

export function scopedRoutes(deps: Deps, service: Service, scopeOf: ScopeOf): Router {
  const r = express.Router({ mergeParams: true });
  const admin = requirePermission(deps, 'admin');

  // secrets: names and dates only, never values
  r.get('/secrets', admin, route(async (req, res) => {
    const items = await service.secrets.list(await scopeOf(req, res));
    res.json({ total_count: items.length, secrets: items.map((s) => ({ name: s.name, created_at: iso(s.created) })) });
  }));
  r.put('/secrets/:name', admin, route(async (req, res) => {
    const data = bodyString(bodyObject(req), 'data', { required: true });
    const result = await service.secrets.set(await scopeOf(req, res), String(req.params.name), data!);
    res.status(result.created ? 201 : 204).end();
  }));
  r.delete('/secrets/:name', admin, route(async (req, res) => {
    await service.secrets.delete(await scopeOf(req, res), String(req.params.name));
    res.status(204).end();
  }));

  const variableView = (v: { name: string; value: string; ownerId: number; repoId: number }) => ({
    name: v.name,
    data: v.value,
    owner_id: v.ownerId,
    repo_id: v.repoId,
  });
  r.get('/variables', admin, route(async (req, res) => {
    const items = await service.variables.list(await scopeOf(req, res));
    res.json({ total_count: items.length, variables: items.map(variableView) });
  }));
  r.get('/variables/:name', admin, route(async (req, res) => {
    res.json(variableView(await service.variables.get(await scopeOf(req, res), String(req.params.name))));
  }));
  r.post('/variables/:name', admin, route(async (req, res) => {
    const value = bodyString(bodyObject(req), 'value', { required: true });
    await service.variables.create(await scopeOf(req, res), String(req.params.name), value!);
    res.status(201).end();
  }));
  r.put('/variables/:name', admin, route(async (req, res) => {
    const body = bodyObject(req);
    const value = bodyString(body, 'value', { required: true });
    await service.variables.update(await scopeOf(req, res), String(req.params.name), value!, bodyString(body, 'name'));
    res.status(204).end();
  }));
  r.delete('/variables/:name', admin, route(async (req, res) => {
    await service.variables.delete(await scopeOf(req, res), String(req.params.name));
    res.status(204).end();
  }));

  r.get('/runners', admin, route(async (req, res) => {
    const items = await service.runners.list(await scopeOf(req, res));
    res.json({ total_count: items.length, runners: items });
  }));
  r.get('/runners/registration-token', admin, route(async (req, res) => {
    res.json({ token: await service.runners.registrationToken(await scopeOf(req, res)) });
  }));
  r.post('/runners/registration-token', admin, route(async (req, res) => {
    res.json({ token: await service.runners.resetRegistrationToken(await scopeOf(req, res)) });
  }));
  r.post('/runners', admin, route(async (req, res) => {
    const body = bodyObject(req);
    const name = bodyString(body, 'name', { required: true, max: 1024 })!;
    const description = bodyString(body, 'description', { max: 65536 });
    if (body.ephemeral !== undefined && typeof body.ephemeral !== 'boolean') throw new InvalidArgument('ephemeral must be a boolean', { field: 'ephemeral' });
    const created = await service.runners.register(await scopeOf(req, res), { name, description, ephemeral: body.ephemeral === true });
    res.status(201).json(created);
  }));
  r.get('/runners/:id', admin, route(async (req, res) => {
    res.json(await service.runners.get(await scopeOf(req, res), idParam(req, 'id')));
  }));
  r.delete('/runners/:id', admin, route(async (req, res) => {
    await service.runners.delete(await scopeOf(req, res), idParam(req, 'id'));
    res.status(204).end();
  }));
  return r;
}
