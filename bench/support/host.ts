// The host content every chaos/soak process agrees on. MemoryHost state is per
// process, so each instance (and the parent) rebuilds it from the same recipe:
// MemoryHost derives a commit's sha from its files and its position, so the
// same commits in the same order give the same shas everywhere.
import { MemoryHost, pushPayload } from '../../spec/support/memory-host.js';
import type { Repository } from '../../lib/index.js';

export type HostKind = 'chaos' | 'soak';

/** a push workflow with matrices and needs: 2x2 build, 3 test shards after it, deploy after them (8 jobs) */
const ci = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix: { os: [linux, mac], node: [18, 20] }
    steps: [{ run: make }, { run: make check }]
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix: { shard: [1, 2, 3] }
    steps: [{ run: make test }]
  deploy:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps: [{ run: make deploy }, { run: echo done }]
`;

/** a second workflow on the same push: lint, then report (2 jobs) */
const lint = `on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{ run: lint }]
  report:
    needs: lint
    runs-on: ubuntu-latest
    steps: [{ run: report }]
`;

/** the soak's one-job workflow */
const single = `on: push
jobs:
  one:
    runs-on: ubuntu-latest
    steps: [{ run: echo one }, { run: echo two }]
`;

// explicit concurrency: a scheduled run's automatic group would cancel the previous tick's run still in progress
const minutely = (name: string) => `on:
  schedule: [{ cron: '* * * * *' }]
concurrency: { cancel-in-progress: false }
jobs:
  ${name}:
    runs-on: ubuntu-latest
    steps: [{ run: echo ${name} }]
`;

export const JOBS_PER_PUSH = { chaos: 10, soak: 1 } as const;
export const SCHEDULE_WORKFLOWS = 3;

export interface ChaosHost {
  host: MemoryHost;
  app: Repository;
  cron: Repository;
  /** the commit of push `seq`, each on its own branch so the automatic push concurrency group never cancels another */
  shas: string[];
  cronSha: string;
  pushPayload(seq: number): ReturnType<typeof pushPayload>;
  cronPayload(): ReturnType<typeof pushPayload>;
}

export function buildHost(kind: HostKind, pushes: number): ChaosHost {
  const host = new MemoryHost();
  const app = host.repo('chaos/app', 1);
  const cron = host.repo('chaos/cron', 2);
  const cronFiles: Record<string, string> = {};
  for (let w = 0; w < SCHEDULE_WORKFLOWS; w++) cronFiles[`.forgejo/workflows/cron${w}.yml`] = minutely(`tick${w}`);
  const cronSha = host.commit(cron, 'refs/heads/main', cronFiles);
  const files: Record<string, string> = kind === 'chaos' ? { '.forgejo/workflows/ci.yml': ci, '.forgejo/workflows/lint.yml': lint } : { '.forgejo/workflows/one.yml': single };
  const shas: string[] = [];
  for (let seq = 0; seq < pushes; seq++) shas.push(host.commit(app, `refs/heads/b${seq}`, { ...files, seq: String(seq) }));
  return {
    host,
    app,
    cron,
    shas,
    cronSha,
    pushPayload: (seq) => pushPayload(app, `refs/heads/b${seq}`, shas[seq]!, `push ${seq}`),
    cronPayload: () => pushPayload(cron, 'refs/heads/main', cronSha, 'schedules'),
  };
}
