// Where reusable workflows come from at the server: local references from the
// run's commit, same-instance references through the host (public repositories
// only). External URLs are refused: the host adapter has no fetcher for them.
import type { Deps } from './deps.js';
import type { Repository } from './types.js';
import type { PlanOptions, ReusableKind, ReusableRef } from './workflow/index.js';

export const serverReusableKinds: ReusableKind[] = ['local', 'instance'];

export function reusableFetcher(deps: Deps, repo: Repository, sha: string): NonNullable<PlanOptions['fetchReusable']> {
  return async (uses: string, kind: ReusableKind, ref: ReusableRef) => {
    if (kind === 'local') {
      const content = await deps.host.readFile(repo, sha, (ref.path ?? uses).replace(/^\.\//, ''));
      if (content === null) throw new Error(`reusable workflow ${uses} not found at ${sha}`);
      return content;
    }
    if (kind === 'instance') {
      const fullName = `${ref.org}/${ref.repo}`;
      const target = deps.host.getRepository ? await deps.host.getRepository(fullName) : null;
      // a private repository answers exactly like a missing one
      if (!target || target.private) throw new Error(`reusable workflow ${uses}: repository ${fullName} not found`);
      const commit = deps.host.resolveRef ? await deps.host.resolveRef(target, ref.ref ?? '') : (ref.ref ?? null);
      if (!commit) throw new Error(`reusable workflow ${uses}: ref ${ref.ref} not found`);
      const content = await deps.host.readFile(target, commit, `.${ref.gitPlatform}/workflows/${ref.filename}`);
      if (content === null) throw new Error(`reusable workflow ${uses} not found`);
      return content;
    }
    throw new Error(`reusable workflow ${uses}: external references are not enabled on this server`);
  };
}
