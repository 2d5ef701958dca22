// Reading request input with clear errors: ids, pagination, bodies.
import type { Request } from 'express';
import { InvalidArgument } from '../../lib/errors.js';

export function idParam(req: Request, name: string): number {
  const raw = req.params[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgument(`${name} must be a positive integer`, { field: name });
  }
  return n;
}

export function pageQuery(req: Request): { page: number; limit: number } {
  const num = (name: string, fallback: number, max: number) => {
    const raw = req.query[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgument(`${name} must be an integer from 1 to ${max}`, { field: name });
    return n;
  };
  return { page: num('page', 1, 1_000_000), limit: num('limit', 30, 100) };
}

export function stringQuery(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length > 1024) throw new InvalidArgument(`${name} must be a string`, { field: name });
  return raw;
}

export function bodyObject(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new InvalidArgument('the body must be a JSON object', { field: 'body' });
  return b as Record<string, unknown>;
}

export function bodyString(body: Record<string, unknown>, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (opts.required) throw new InvalidArgument(`${name} is required`, { field: name });
    return undefined;
  }
  if (typeof v !== 'string') throw new InvalidArgument(`${name} must be a string`, { field: name });
  if (opts.max !== undefined && Buffer.byteLength(v) > opts.max) throw new InvalidArgument(`${name} is longer than ${opts.max} bytes`, { field: name });
  return v;
}
