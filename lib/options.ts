// The factory's options, validated once: a bad option fails fast with a
// message naming it. Nothing else in the plugin reads process.env.
import { z } from 'zod';
import type { Knex } from 'knex';
import type { Clock, HostAdapter, Logger } from './types.js';
import { InvalidArgument } from './errors.js';
import { MIN_SECRET_KEY_LENGTH } from './keys.js';

const duration = z.number().int().positive();

const hostSchema = z.custom<HostAdapter>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as HostAdapter).listFiles === 'function' &&
    typeof (v as HostAdapter).readFile === 'function',
  { message: 'must be a HostAdapter with at least listFiles() and readFile()' },
);

const databaseSchema = z.union([
  z.string().min(1),
  z.custom<Knex>((v) => typeof v === 'function' && typeof (v as { client?: unknown }).client === 'object'),
  z.custom<Knex.Config>((v) => typeof v === 'object' && v !== null && 'client' in v, {
    message: 'must be a URL, a Knex instance or a Knex config with a client',
  }),
]);

export const optionsSchema = z
  .object({
    database: databaseSchema.optional(),
    host: hostSchema.optional(),
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    mountPath: z.string().regex(/^\/[^?#]*$/, 'must start with "/"').optional(),
    secretKey: z.string().min(MIN_SECRET_KEY_LENGTH, `must be at least ${MIN_SECRET_KEY_LENGTH} characters`).optional(),
    cron: z.boolean().optional(),
    timeouts: z
      .object({
        zombie: duration.optional(),
        endless: duration.optional(),
        abandoned: duration.optional(),
        runnerOffline: duration.optional(),
      })
      .strict()
      .optional(),
    logDir: z.string().min(1).optional(),
    logRetentionDays: z.number().int().positive().optional(),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function', {
      message: 'must be a logger with info(), warn(), error()…',
    }).optional(),
    clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', {
      message: 'must be an object with now(): Date',
    }).optional(),
    /** the version reported as forgejo_server_version in task contexts */
    serverVersion: z.string().optional(),
    /** DEFAULT_ACTIONS_URL: where `uses: actions/checkout@v4` is fetched from */
    defaultActionsUrl: z.string().optional(),
    /** an id for this process in leases and logs; defaults to host name and pid */
    instanceId: z.string().optional(),
  })
  .strict();

export type ActionsPluginOptions = z.input<typeof optionsSchema>;

export function parseOptions(options: unknown): z.output<typeof optionsSchema> {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'options';
    const message =
      issue.code === 'unrecognized_keys' ? `unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}` : `${where}: ${issue.message}`;
    throw new InvalidArgument(`actionsPlugin: ${message}`, { field: where });
  }
  return parsed.data;
}
