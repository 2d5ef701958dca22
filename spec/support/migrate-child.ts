// Started twice at once by the migration test: both must come up on one database.
import { actionsPlugin } from '../../lib/index.js';

const url = process.argv[2]!;
const plugin = actionsPlugin({ database: url, cron: false, logger: silent() });
plugin.ready.then(
  async () => {
    await plugin.close();
    process.stdout.write('ready\n');
  },
  (e: unknown) => {
    process.stdout.write(`failed: ${String(e)}\n`);
    process.exit(1);
  },
);

function silent() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
}
