// A fresh plugin per test on one database kind, with a MemoryHost that holds
// the given repositories (alice/app, id 1, by default).
import type { DbKind } from './databases.js';
import { startTestServer, type TestServer } from './plugin.js';
import { MemoryHost } from './memory-host.js';
import type { Repository } from '../../lib/index.js';

export interface Forge {
  t: TestServer;
  host: MemoryHost;
  /** the first repository */
  repo(): Repository;
}

export function useForge(kind: DbKind, repos: Array<[fullName: string, id: number]> = [['alice/app', 1]]): Forge {
  const forge = { repo: () => forge.host.repos.get(repos[0]![0])! } as Forge;
  beforeEach(async () => {
    forge.host = new MemoryHost();
    for (const [name, id] of repos) forge.host.repo(name, id);
    forge.t = await startTestServer(kind, { host: forge.host });
  });
  afterEach(() => forge.t.close());
  return forge;
}
