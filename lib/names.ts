// Forgejo's name rules for secrets and variables (services/secrets/validation.go,
// services/actions/variables.go), reproduced with their quirk: in
// `(?i)^FORGEJO_|GITEA_|GITHUB_` the anchor binds to FORGEJO_ only, so
// FORGEJO_ is refused as a prefix while GITEA_ and GITHUB_ are refused anywhere.
import { InvalidArgument } from './errors.js';

export const MAX_NAME_LENGTH = 255;
/** the web form's limit (Forgejo's API has none; the plugin applies the form's everywhere) */
export const MAX_VALUE_LENGTH = 65535;

const NAME = /^[A-Z_][A-Z0-9_]*$/i;
const RESERVED = /^FORGEJO_|GITEA_|GITHUB_/i;
const CI = /^CI$/i;

function invalid(message: string): never {
  throw new InvalidArgument(`name: ${message}`, { field: 'name' });
}

/** the stored (upper-cased) form of a valid secret name */
export function secretName(name: unknown): string {
  if (typeof name !== 'string' || name === '') invalid('is required');
  if (name.length > MAX_NAME_LENGTH) invalid(`must be at most ${MAX_NAME_LENGTH} characters`);
  if (!NAME.test(name)) invalid('must contain only letters, digits and underscores, and must not start with a digit');
  if (RESERVED.test(name)) invalid('must not start with FORGEJO_ nor contain GITEA_ or GITHUB_');
  return name.toUpperCase();
}

/** the secret rules, and the exact name CI is reserved (CI_FOO is fine) */
export function variableName(name: unknown): string {
  const upper = secretName(name);
  if (CI.test(upper)) invalid('cannot be ci');
  return upper;
}

/** values are required, at most MAX_VALUE_LENGTH characters, CRLF stored as LF and never trimmed */
export function normaliseValue(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgument(`${field}: is required`, { field });
  const v = value.replace(/\r\n/g, '\n');
  if (v.length > MAX_VALUE_LENGTH) throw new InvalidArgument(`${field}: must be at most ${MAX_VALUE_LENGTH} characters`, { field });
  return v;
}
