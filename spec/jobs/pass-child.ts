// A second instance for the lease test: runs one `schedules` pass whose
// workflow reads a reusable workflow through a host that never answers, so
// the pass stays in flight (holding its lease) until the parent kills it.
import { actionsPlugin } from '../../lib/index.js';
import type { HostAdapter } from '../../lib/index.js';

const [url, now] = [process.argv[2]!, Number(process.argv[3])];
const noop = () => {};
const host: HostAdapter = {
  listFiles: async () => null,
  readFile: () => {
    process.stdout.write('in-flight\n');
    return new Promise<string | null>(() => {});
  },
};
const plugin = actionsPlugin({
  database: url,
  cron: false,
  host,
  instanceId: 'child',
  clock: { now: () => new Date(now) },
  logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop },
});
plugin.ready.then(
  () => plugin.jobs.run('schedules'),
  (e: unknown) => {
    process.stdout.write(`failed: ${String(e)}\n`);
    process.exit(1);
  },
);
