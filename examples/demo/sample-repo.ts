// The demo's sample repository: a bare repository under the git host's root
// and a push of a commit that adds (or touches) its workflow.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const demoWorkflow = `name: demo
on: [push]
jobs:
  build:
    runs-on: host
    strategy:
      matrix:
        greeting: [hello, bonjour]
    outputs:
      said: \${{ steps.say.outputs.said }}
    steps:
      - name: Greet
        id: say
        run: |
          echo "\${{ matrix.greeting }} from $(uname -s) at \${{ github.sha }}"
          echo "said=\${{ matrix.greeting }}" >> "$GITHUB_OUTPUT"
      - name: Build
        run: |
          for i in 1 2 3; do echo "building part $i"; done
  report:
    needs: build
    runs-on: host
    steps:
      - name: Report
        run: echo "builds finished with \${{ needs.build.result }}; one of them said \${{ needs.build.outputs.said }}"
`;

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.com' },
  }).trim();
}

export interface PushedCommit {
  ref: string;
  before: string;
  after: string;
  message: string;
  added: string[];
  modified: string[];
}

/** Creates `<root>/<owner>/<name>.git` if needed and pushes a new commit to main. */
export function pushDemoCommit(root: string, owner: string, name: string): PushedCommit {
  const bare = path.join(root, owner, `${name}.git`);
  if (!fs.existsSync(bare)) {
    fs.mkdirSync(bare, { recursive: true });
    git(bare, ['init', '--bare', '--initial-branch=main', '-q']);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-actions-demo-'));
  try {
    git(work, ['init', '-q', '--initial-branch=main']);
    git(work, ['remote', 'add', 'origin', bare]);
    let before = '0000000000000000000000000000000000000000';
    try {
      git(work, ['fetch', '-q', 'origin', 'main']);
      git(work, ['checkout', '-q', '-B', 'main', 'FETCH_HEAD']);
      before = git(work, ['rev-parse', 'HEAD']);
    } catch {
      /* an empty repository: the first commit */
    }
    const wfPath = '.forgejo/workflows/demo.yml';
    const existed = fs.existsSync(path.join(work, wfPath));
    fs.mkdirSync(path.join(work, '.forgejo/workflows'), { recursive: true });
    fs.writeFileSync(path.join(work, wfPath), demoWorkflow);
    fs.writeFileSync(path.join(work, 'README.md'), `# ${name}\n\nPushed by the forge-actions demo at ${new Date().toISOString()}.\n`);
    git(work, ['add', '-A']);
    const message = existed ? 'Run the demo again' : 'Add the demo workflow';
    git(work, ['commit', '-q', '-m', message]);
    git(work, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
    const after = git(work, ['rev-parse', 'HEAD']);
    return { ref: 'refs/heads/main', before, after, message, added: existed ? [] : [wfPath], modified: existed ? [wfPath, 'README.md'] : ['README.md'] };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
