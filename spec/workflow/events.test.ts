// Event matching tables (spec §1.3–§2.6): event-name mapping, activity types,
// push / pull_request filters, skip-ci, directory precedence, refs per event.
import { expect } from 'chai';
import {
  detectWorkflows, chooseWorkflowDir, skipCi, shouldSkipEvent, triggerAcceptsEvent, readTriggers, triggerMatches,
  WorkflowError, PreExecutionErrorCode, DEFAULT_BRANCH_EVENTS, PULL_REQUEST_EVENTS,
} from '../../lib/workflow/index.js';
import { normaliseEvent } from '../../lib/forge-event.js';
import type { HookName } from '../../lib/forge-event.js';

const wf = (on: string) => `on:\n${on.replace(/^/gm, '  ')}\njobs:\n  a:\n    runs-on: docker\n    steps:\n      - run: true\n`;
function fires(on: string, event: string, payload: Record<string, unknown>, changedFiles?: string[] | null): string[] {
  const r = detectWorkflows({ files: [{ path: '.forgejo/workflows/ci.yml', content: wf(on) }], event, payload, changedFiles });
  expect(r.errors, JSON.stringify(r.errors)).to.deep.equal([]);
  return r.matched.map((m) => m.triggerEvent);
}
const push = (ref: string) => ({ ref, before: 'a'.repeat(40), after: 'b'.repeat(40) });
const pr = (action: string, base = 'main') => ({ action, number: 3, pull_request: { base: { ref: base }, head: { sha: 'c'.repeat(40) } } });

describe('event detection', () => {
  describe('event-name mapping (canGithubEventMatch)', () => {
    const table: [string, string, boolean][] = [
      ['issues', 'issue_label', true], ['issues', 'issue_assign', true], ['issues', 'issue_milestone', true], ['issues', 'issue_comment', false],
      ['pull_request', 'pull_request_sync', true], ['pull_request_target', 'pull_request_label', true], ['pull_request', 'pull_request_review_approved', false],
      ['pull_request_review', 'pull_request_review_rejected', true], ['pull_request_review', 'pull_request_review_comment', true],
      ['issue_comment', 'pull_request_comment', true], ['registry_package', 'package', true], ['gollum', 'wiki', true],
      ['push', 'push', true], ['Push', 'push', false], ['pull_request_sync', 'pull_request_sync', true], ['watch', 'push', false],
      ['schedule', 'schedule', true], ['workflow_dispatch', 'workflow_dispatch', true], ['create', 'create', true], ['delete', 'delete', true],
      ['fork', 'fork', true], ['release', 'release', true],
    ];
    for (const [key, event, expected] of table) it(`on.${key} ${expected ? 'accepts' : 'rejects'} ${event}`, () => expect(triggerAcceptsEvent(key, event)).to.equal(expected));
  });

  describe('push filters', () => {
    it('no filters match any push', () => expect(fires('push:', 'push', push('refs/heads/x'))).to.deep.equal(['push']));
    it('branches match branch names', () => {
      expect(fires('push:\n  branches: [main, "release/**"]', 'push', push('refs/heads/release/v1/rc'))).to.deep.equal(['push']);
      expect(fires('push:\n  branches: [main]', 'push', push('refs/heads/dev'))).to.deep.equal([]);
    });
    it('branches never match a tag push', () => expect(fires('push:\n  branches: ["**"]', 'push', push('refs/tags/v1'))).to.deep.equal([]));
    it('tags match tag names only', () => {
      expect(fires('push:\n  tags: ["v[0-9]+.*"]', 'push', push('refs/tags/v12.3'))).to.deep.equal(['push']);
      expect(fires('push:\n  tags: ["v*"]', 'push', push('refs/heads/v1'))).to.deep.equal([]);
    });
    it('branches-ignore and tags-ignore', () => {
      expect(fires('push:\n  branches-ignore: ["dependabot/**"]', 'push', push('refs/heads/dependabot/npm/x'))).to.deep.equal([]);
      expect(fires('push:\n  branches-ignore: ["dependabot/**"]', 'push', push('refs/heads/main'))).to.deep.equal(['push']);
      expect(fires('push:\n  tags-ignore: ["*-rc*"]', 'push', push('refs/tags/v1-rc1'))).to.deep.equal([]);
    });
    it('branches + tags: either family may match', () => {
      const on = 'push:\n  branches: [main]\n  tags: ["v*"]';
      expect(fires(on, 'push', push('refs/heads/main'))).to.deep.equal(['push']);
      expect(fires(on, 'push', push('refs/tags/v2'))).to.deep.equal(['push']);
      expect(fires(on, 'push', push('refs/heads/dev'))).to.deep.equal([]);
    });
    it('branches + branches-ignore + tags can never match a tag push (2 of 3)', () => {
      expect(fires('push:\n  branches: [main]\n  branches-ignore: [x]\n  tags: ["v*"]', 'push', push('refs/tags/v2'))).to.deep.equal([]);
    });
    it('paths use the changed files; an empty or unknown list never matches', () => {
      expect(fires('push:\n  paths: ["src/**"]', 'push', push('refs/heads/main'), ['src/a.ts'])).to.deep.equal(['push']);
      expect(fires('push:\n  paths: ["src/**"]', 'push', push('refs/heads/main'), ['docs/a.md'])).to.deep.equal([]);
      expect(fires('push:\n  paths: ["src/**"]', 'push', push('refs/heads/main'), [])).to.deep.equal([]);
      expect(fires('push:\n  paths-ignore: ["docs/**"]', 'push', push('refs/heads/main'), [])).to.deep.equal([]);
      expect(fires('push:\n  paths-ignore: ["docs/**"]', 'push', push('refs/heads/main'), null)).to.deep.equal([]);
      expect(fires('push:\n  paths-ignore: ["docs/**"]', 'push', push('refs/heads/main'), ['docs/a.md'])).to.deep.equal([]);
      expect(fires('push:\n  paths-ignore: ["docs/**"]', 'push', push('refs/heads/main'), ['docs/a.md', 'x.c'])).to.deep.equal(['push']);
    });
    it('a tag push ignores path filters', () => expect(fires('push:\n  paths: ["src/**"]', 'push', push('refs/tags/v1'), [])).to.deep.equal(['push']));
    it('an unknown key makes the event never match', () => expect(fires('push:\n  types: [created]', 'push', push('refs/heads/main'))).to.deep.equal([]));
  });

  describe('pull_request filters and types', () => {
    it('without types only opened, reopened and synchronized fire', () => {
      expect(fires('pull_request:', 'pull_request', pr('opened'))).to.deep.equal(['pull_request']);
      expect(fires('pull_request:', 'pull_request_sync', pr('synchronized'))).to.deep.equal(['pull_request']);
      expect(fires('pull_request:', 'pull_request', pr('reopened'))).to.deep.equal(['pull_request']);
      expect(fires('pull_request:', 'pull_request', pr('closed'))).to.deep.equal([]);
      expect(fires('pull_request:\n  branches: [main]', 'pull_request', pr('closed'))).to.deep.equal([]);
    });
    const typeTable: [string, string, string][] = [
      ['synchronize', 'pull_request_sync', 'synchronized'], ['labeled', 'pull_request_label', 'label_updated'],
      ['unlabeled', 'pull_request_label', 'label_cleared'], ['closed', 'pull_request', 'closed'], ['edited', 'pull_request', 'edited'],
      ['assigned', 'pull_request_assign', 'assigned'], ['review_requested', 'pull_request_review_request', 'review_requested'],
      ['milestoned', 'pull_request_milestone', 'milestoned'],
    ];
    for (const [type, event, action] of typeTable) {
      it(`types: [${type}] fires on ${event}/${action}`, () => {
        expect(fires(`pull_request:\n  types: [${type}]`, event, pr(action))).to.deep.equal(['pull_request']);
        expect(fires('pull_request:\n  types: [opened]', event, pr(action))).to.deep.equal([]);
      });
    }
    it('types take globs', () => expect(fires('pull_request:\n  types: ["label*"]', 'pull_request_label', pr('label_updated'))).to.deep.equal(['pull_request']));
    it('branches match the base branch', () => {
      expect(fires('pull_request:\n  branches: [main]', 'pull_request', pr('opened', 'main'))).to.deep.equal(['pull_request']);
      expect(fires('pull_request:\n  branches-ignore: [main]', 'pull_request', pr('opened', 'main'))).to.deep.equal([]);
    });
    it('paths on the PR diff', () => {
      expect(fires('pull_request:\n  paths: ["**.go"]', 'pull_request', pr('opened'), ['a/b.go'])).to.deep.equal(['pull_request']);
      expect(fires('pull_request:\n  paths: ["**.go"]', 'pull_request', pr('opened'), ['a/b.rs'])).to.deep.equal([]);
    });
    it('pull_request_target is matched like pull_request', () => expect(fires('pull_request_target:', 'pull_request', pr('opened'))).to.deep.equal(['pull_request_target']));
    it('tags under pull_request never match', () => expect(fires('pull_request:\n  tags: [v1]', 'pull_request', pr('opened'))).to.deep.equal([]));
  });

  describe('types-only events', () => {
    const table: [string, string, string, boolean][] = [
      ['issues:\n  types: [opened]', 'issues', 'opened', true], ['issues:\n  types: [opened]', 'issues', 'closed', false],
      ['issues:\n  types: [labeled]', 'issue_label', 'label_updated', true], ['issues:\n  types: [unlabeled]', 'issue_label', 'label_cleared', true],
      ['issues:\n  types: [assigned]', 'issue_assign', 'assigned', true], ['issues:\n  types: [demilestoned]', 'issue_milestone', 'demilestoned', true],
      ['issues:\n  branches: [main]', 'issues', 'opened', false],
      ['issue_comment:\n  types: [created]', 'issue_comment', 'created', true], ['issue_comment:\n  types: [deleted]', 'pull_request_comment', 'deleted', true],
      ['issue_comment:\n  types: [created]', 'issue_comment', 'edited', false],
      ['pull_request_review:\n  types: [submitted]', 'pull_request_review_approved', 'reviewed', true],
      ['pull_request_review:\n  types: [submitted]', 'pull_request_review_comment', 'reviewed', false],
      ['pull_request_review:\n  types: [edited]', 'pull_request_review_comment', 'reviewed', true],
      ['pull_request_review_comment:\n  types: [created]', 'pull_request_review_comment', 'reviewed', true],
      ['release:\n  types: [published]', 'release', 'published', true], ['release:\n  types: [edited]', 'release', 'updated', true],
      ['release:\n  types: [deleted]', 'release', 'published', false],
      ['registry_package:\n  types: [published]', 'package', 'created', true], ['registry_package:\n  types: [deleted]', 'package', 'deleted', true],
      ['create:\n  branches: [nothing]', 'create', '', true], ['delete:', 'delete', '', true], ['fork:', 'fork', '', true],
      ['gollum:', 'wiki', 'edited', true], ['workflow_dispatch:', 'workflow_dispatch', '', true], ['watch:\n  types: [started]', 'watch', 'started', true],
    ];
    for (const [on, event, action, expected] of table) {
      it(`${on.replace(/\n\s*/g, ' ')} ${expected ? 'fires' : 'does not fire'} on ${event}/${action || '-'}`, () => {
        expect(fires(on, event, { action }).length).to.equal(expected ? 1 : 0);
      });
    }
  });

  describe('a types pattern that does not compile', () => {
    for (const [on, event, payload] of [
      ['issues:\n  types: ["{opened"]', 'issues', { action: 'opened' }],
      ['issues:\n  types: ["[z-a]"]', 'issues', { action: 'opened' }],
      ['pull_request:\n  types: ["{opened"]', 'pull_request', pr('opened')],
    ] as [string, string, Record<string, unknown>][]) {
      it(`${on.replace(/\n\s*/g, ' ')} skips that workflow and still detects the others`, () => {
        const good = event === 'issues' ? 'issues:\n  types: [opened]' : 'pull_request:\n  types: [opened]';
        const r = detectWorkflows({
          files: [{ path: '.forgejo/workflows/bad.yml', content: wf(on) }, { path: '.forgejo/workflows/good.yml', content: wf(good) }],
          event, payload,
        });
        expect(r.matched.map((m) => m.workflowId)).to.deep.equal(['good.yml']);
        expect(r.errors).to.deep.equal([]);
      });
    }
  });

  it('one file yields one match per matching on: entry', () => {
    expect(fires('issues:\nissue_label:', 'issue_label', { action: 'label_updated' })).to.deep.equal(['issues', 'issue_label']);
  });

  describe('unparsable on: is an EventDetectionError on every event', () => {
    for (const [label, content] of [
      ['no on: key', 'jobs:\n  a:\n    runs-on: x\n'],
      ['workflow_call.secrets mapping', 'on:\n  workflow_call:\n    secrets:\n      token:\n        required: true\njobs: {}\n'],
      ['push: [main]', 'on:\n  push: [main]\njobs: {}\n'],
      ['bad YAML', 'on: [push\njobs: {}\n'],
      ['a list element that is not a name', 'on: [push, {a: 1}]\n'],
    ]) {
      it(label, () => {
        const r = detectWorkflows({ files: [{ path: '.forgejo/workflows/bad.yml', content: content as string }], event: 'issue_comment', payload: { action: 'created' } });
        expect(r.matched).to.deep.equal([]);
        expect(r.errors).to.have.length(1);
        expect(r.errors[0]?.error).to.be.instanceOf(WorkflowError);
        expect(r.errors[0]?.error.code).to.equal(PreExecutionErrorCode.EventDetectionError);
        expect(r.errors[0]?.message).to.match(/bad\.yml/);
        expect(r.errors[0]?.triggerEvent).to.equal('issue_comment');
      });
    }
    it('reports the line of the offending value', () => {
      const r = detectWorkflows({ files: [{ path: 'bad.yml', content: 'on:\n  push:\n    branches: {a: 1}\n' }], event: 'push', payload: push('refs/heads/main') });
      expect(r.errors[0]?.error.line).to.equal(3);
    });
  });

  it('collects schedules only when asked, and never as matches', () => {
    const content = 'on:\n  schedule:\n    - cron: "0 3 * * *"\n  push:\njobs: {}\n';
    const r = detectWorkflows({ files: [{ path: '.forgejo/workflows/nightly.yml', content }], event: 'push', payload: push('refs/heads/main'), detectSchedules: true });
    expect(r.matched.map((m) => m.triggerEvent)).to.deep.equal(['push']);
    expect(r.schedules).to.deep.equal([{ path: '.forgejo/workflows/nightly.yml', workflowId: 'nightly.yml', content, specs: [{ cron: '0 3 * * *' }] }]);
    expect(readTriggers(content).map((t) => t.name)).to.deep.equal(['schedule', 'push']);
    expect(triggerMatches({ name: 'schedule', filters: {} }, { event: 'push', payload: {} })).to.equal(false);
  });

  describe('directory precedence', () => {
    it('.forgejo wins over .gitea and .github', () => {
      expect(chooseWorkflowDir(['.github/workflows/a.yml', '.gitea/workflows/b.yml', '.forgejo/workflows/c.yaml'])).to.deep.equal({ dir: '.forgejo/workflows', files: ['.forgejo/workflows/c.yaml'] });
    });
    it('.gitea wins over .github', () => expect(chooseWorkflowDir(['.github/workflows/a.yml', '.gitea/workflows/b.yml'])?.dir).to.equal('.gitea/workflows'));
    it('an existing but empty .forgejo/workflows hides .github/workflows', () => {
      expect(chooseWorkflowDir(['.forgejo/workflows/README.md', '.github/workflows/a.yml'])).to.deep.equal({ dir: '.forgejo/workflows', files: [] });
      expect(chooseWorkflowDir(['.forgejo/workflows/', '.github/workflows/a.yml'])).to.deep.equal({ dir: '.forgejo/workflows', files: [] });
    });
    it('subfolders are included and ids keep the sub-path', () => {
      const chosen = chooseWorkflowDir(['.github/workflows/sub/ci.yml', '.github/workflows/x.txt']);
      expect(chosen?.files).to.deep.equal(['.github/workflows/sub/ci.yml']);
      const r = detectWorkflows({ files: [{ path: '.github/workflows/sub/ci.yml', content: wf('push:') }], event: 'push', payload: push('refs/heads/main') });
      expect(r.matched[0]?.workflowId).to.equal('sub/ci.yml');
    });
    it('no workflow directory', () => expect(chooseWorkflowDir(['src/a.ts', '.github/CODEOWNERS'])).to.equal(null));
  });

  describe('skip-ci', () => {
    for (const marker of ['[skip ci]', '[ci skip]', '[no ci]', '[skip actions]', '[actions skip]']) {
      it(`${marker} anywhere in the message skips`, () => expect(skipCi(`fix: thing\n\nbody ${marker} end`)).to.equal(true));
    }
    it('is case-sensitive', () => expect(skipCi('[SKIP CI] x')).to.equal(false));
    it('applies only to push, pull_request and pull_request_sync', () => {
      expect(shouldSkipEvent('push', { commitMessage: 'a [skip ci]' })).to.equal(true);
      expect(shouldSkipEvent('pull_request', { prTitle: 'WIP [no ci]', commitMessage: 'x' })).to.equal(true);
      expect(shouldSkipEvent('pull_request_sync', { commitMessage: '[ci skip]' })).to.equal(true);
      expect(shouldSkipEvent('pull_request_label', { prTitle: '[skip ci]' })).to.equal(false);
      expect(shouldSkipEvent('issues', { commitMessage: '[skip ci]' })).to.equal(false);
    });
  });

  // the hook's own ref and commit come from normaliseEvent; run creation then moves DEFAULT_BRANCH_EVENTS to the default branch
  describe('ref and commit per event', () => {
    const base = { repository: { id: 1, name: 'r', full_name: 'o/r', owner: { id: 2, login: 'o' }, default_branch: 'main' }, sender: { id: 3, login: 'u' } };
    const pullRequest = { number: 3, pull_request: { base: { ref: 'main' }, head: { sha: 'c'.repeat(40) } } };
    function refOf(hook: HookName, payload: Record<string, unknown>) {
      const ev = normaliseEvent(hook, { ...base, ...payload });
      if (!ev) throw new Error(`${hook} produced no event`);
      return { event: ev.event, ref: ev.ref, sha: ev.sha, defaultBranch: DEFAULT_BRANCH_EVENTS.has(ev.event) };
    }
    it('push uses the pushed ref and the after sha', () => {
      expect(refOf('push', push('refs/heads/dev'))).to.deep.equal({ event: 'push', ref: 'refs/heads/dev', sha: 'b'.repeat(40), defaultBranch: false });
    });
    it('pull_request uses refs/pull/N/head and the head sha', () => {
      expect(refOf('pullRequest', { ...pullRequest, action: 'opened' })).to.deep.equal({ event: 'pull_request', ref: 'refs/pull/3/head', sha: 'c'.repeat(40), defaultBranch: false });
    });
    it('a merged PR uses the merge commit', () => {
      const merged = { ...pullRequest, action: 'closed', pull_request: { ...pullRequest.pull_request, merged: true, merge_commit_sha: 'd'.repeat(40) } };
      expect(refOf('pullRequest', merged)).to.deep.equal({ event: 'pull_request', ref: 'd'.repeat(40), sha: 'd'.repeat(40), defaultBranch: false });
    });
    const issue = { issue: { title: 't' } };
    const defaultBranchHooks: [HookName, Record<string, unknown>, string][] = [
      ['issues', { ...issue, action: 'opened' }, 'issues'],
      ['issues', { ...issue, action: 'labeled' }, 'issue_label'],
      ['issueComment', { ...issue, comment: {}, action: 'created' }, 'issue_comment'],
      ['issueComment', { ...issue, comment: {}, action: 'created', is_pull: true }, 'pull_request_comment'],
      ['delete', { ref: 'refs/heads/x', ref_type: 'branch' }, 'delete'],
      ['fork', {}, 'fork'],
      ['wiki', {}, 'wiki'],
      ['watch', { action: 'started' }, 'watch'],
    ];
    for (const [hook, payload, event] of defaultBranchHooks) {
      it(`${event} runs on the default branch`, () => expect(refOf(hook, payload)).to.deep.equal({ event, ref: '', sha: '', defaultBranch: true }));
    }
    it('release uses the tag', () => {
      expect(refOf('release', { action: 'published', release: { tag_name: 'v1.2' } })).to.deep.equal({ event: 'release', ref: 'refs/tags/v1.2', sha: '', defaultBranch: false });
    });
    it('create uses the created ref', () => {
      expect(refOf('create', { ref: 'refs/tags/v1', ref_type: 'tag', sha: 'e'.repeat(40) })).to.deep.equal({ event: 'create', ref: 'refs/tags/v1', sha: 'e'.repeat(40), defaultBranch: false });
    });
    it('reviews use the reviewed commit', () => {
      const review = { ...pullRequest, review: { type: 'pull_request_review_approved', commit_id: 'f'.repeat(40) } };
      expect(refOf('pullRequestReview', review)).to.deep.equal({ event: 'pull_request_review_approved', ref: 'f'.repeat(40), sha: 'f'.repeat(40), defaultBranch: false });
    });
    it('every pull request hook event is in the pull request family', () => {
      for (const action of ['opened', 'synchronized', 'labeled', 'assigned', 'milestoned', 'review_requested']) {
        const { event } = refOf('pullRequest', { ...pullRequest, action });
        expect(PULL_REQUEST_EVENTS.has(event), event).to.equal(true);
        expect(triggerAcceptsEvent('pull_request', event), event).to.equal(true);
      }
    });
  });
});
