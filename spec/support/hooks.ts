// Root hooks: stop the ephemeral PostgreSQL cluster after the whole run.
import { stopPostgresCluster } from './databases.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopPostgresCluster();
  },
};
