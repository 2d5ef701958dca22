// Malformed workflows: every one gives a WorkflowError with a clear message; none throws anything else.
import { expect } from 'chai';
import { planWorkflow, WorkflowError, PreExecutionErrorCode } from '../../lib/workflow/index.js';
import type { PlanOptions } from '../../lib/workflow/index.js';

async function failure(content: string, options: PlanOptions = {}): Promise<WorkflowError> {
  try {
    await planWorkflow(content, { file: 'ci.yml', ...options });
  } catch (e) {
    expect(e).to.be.instanceOf(WorkflowError);
    return e as WorkflowError;
  }
  throw new Error('expected planWorkflow to reject');
}

const selfCalling = 'on: workflow_call\njobs:\n  again:\n    uses: ./.forgejo/workflows/self.yml\n';

describe('malformed workflows', () => {
  const corpus: [string, string, RegExp, number?][] = [
    ['bad YAML indentation', 'jobs:\n  a:\n    runs-on: x\n   steps: []\n', /invalid YAML/, 4],
    ['unclosed flow sequence', 'jobs:\n  a:\n    runs-on: [x\n', /invalid YAML/],
    ['duplicate keys', 'jobs:\n  a:\n    runs-on: x\n    runs-on: y\n', /invalid YAML/, 4],
    ['a scalar document', 'just text\n', /must be a YAML mapping/],
    ['jobs as a list', 'jobs:\n  - a\n', /`jobs` must be a mapping/, 2],
    ['a job that is a string', 'jobs:\n  a: hello\n', /job a must be a mapping/, 2],
    ['steps not a list', 'jobs:\n  a:\n    runs-on: x\n    steps: run\n', /`steps` must be a list/, 4],
    ['needs with a mapping', 'jobs:\n  a:\n    runs-on: x\n    needs: {b: 1}\n', /`needs` must be a job id/, 4],
    ['unknown needs', 'jobs:\n  a:\n    runs-on: x\n    needs: [ghost]\n', /job a needs job ghost, which does not exist/, 4],
    ['cyclic needs', 'jobs:\n  a:\n    needs: c\n  b:\n    needs: a\n  c:\n    needs: b\n', /cycle: a -> c -> b -> a/],
    ['self-dependency', 'jobs:\n  a:\n    needs: a\n', /cycle: a -> a/],
    ['matrix exclude key not in the matrix', 'jobs:\n  a:\n    strategy:\n      matrix:\n        os: [x]\n        exclude:\n          - arch: y\n', /Matrix exclude key "arch" does not match/, 5],
    ['matrix from a bad expression', "jobs:\n  a:\n    strategy:\n      matrix: ${{ fromJSON('{bad') }}\n", /failure to evaluate strategy.matrix on job a/, 4],
    ['matrix needing an output without jobOutputs', 'jobs:\n  b:\n    runs-on: x\n  a:\n    needs: b\n    strategy:\n      matrix:\n        x: ${{ fromJSON(needs.b.outputs.list) }}\n', /failure to evaluate strategy.matrix on job a/],
    ['matrix with an unknown context', 'jobs:\n  a:\n    strategy:\n      matrix:\n        x: ["${{ nope.x }}"]\n', /failure to evaluate strategy.matrix/],
    ['unclosed expression in a matrix', 'jobs:\n  a:\n    strategy:\n      matrix:\n        x: ["${{ matrix.y "]\n', /unclosed expression/],
  ];
  for (const [label, content, message, line] of corpus) {
    it(label, async () => {
      const err = await failure(content);
      expect(err.message).to.match(message);
      expect(err.message).to.contain('ci.yml');
      expect(err.code).to.equal(PreExecutionErrorCode.JobParsingError);
      if (line !== undefined) {
        expect(err.line).to.equal(line);
        expect(err.message).to.contain(`line ${line}`);
      }
    });
  }

  it('recursion too deep: a self-calling reusable workflow stops after 6 fetches', async () => {
    let fetches = 0;
    const err = await failure('jobs:\n  call:\n    uses: ./.forgejo/workflows/self.yml\n', {
      expandReusable: ['local'], fetchReusable: async () => { fetches++; return selfCalling; },
    });
    expect(err.message).to.match(/exceeding the workflow recursion limit \(5\)/);
    expect(err.message).to.contain('error expanding reusable workflow "./.forgejo/workflows/self.yml"');
    expect(fetches).to.equal(6);
  });

  it('an invalid reusable path once fetchers are installed', async () => {
    const err = await failure('jobs:\n  call:\n    uses: not-a-workflow\n', { expandReusable: ['local'], fetchReusable: async () => '' });
    expect(err.message).to.match(/`uses` key references invalid workflow path 'not-a-workflow'/);
    expect(err.line).to.equal(3);
  });

  it('a fetch failure is reported with the reference', async () => {
    const err = await failure('jobs:\n  call:\n    uses: org/repo/.forgejo/workflows/x.yml@v1\n', {
      expandReusable: ['instance'], fetchReusable: async () => { throw new Error('repo does not exist'); },
    });
    expect(err.message).to.contain('error expanding reusable workflow "org/repo/.forgejo/workflows/x.yml@v1": repo does not exist');
  });

  it('external references are refused unless the host fetches them', async () => {
    const err = await failure('jobs:\n  call:\n    uses: https://example.com/o/r/.forgejo/workflows/x.yml@v1\n', {
      expandReusable: ['local', 'instance'], fetchReusable: async () => '',
    });
    expect(err.message).to.match(/external reusable workflow 'https:\/\/example.com\/o\/r\/.forgejo\/workflows\/x.yml@v1', which this instance does not fetch/);
  });

  it('a malformed reusable workflow is reported through its caller', async () => {
    const err = await failure('jobs:\n  call:\n    uses: ./.forgejo/workflows/x.yml\n', { expandReusable: ['local'], fetchReusable: async () => 'jobs: [\n' });
    expect(err.message).to.match(/error expanding reusable workflow ".\/.forgejo\/workflows\/x.yml".*invalid YAML/);
  });

  it('a large matrix is planned, not rejected, and stays fast (256 combinations)', async () => {
    const axis = (n: string) => `        ${n}: [${[1, 2, 3, 4].join(', ')}]`;
    const content = `jobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n${['a', 'b', 'c', 'd'].map(axis).join('\n')}\n`;
    const docs = await planWorkflow(content);
    expect(docs).to.have.length(256);
  });

  it('matrix too large: 257 combinations are refused with the count and the limit', async () => {
    const content = 'jobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        a: [1, 2, 3, 4]\n        b: [1, 2, 3, 4]\n        c: [1, 2, 3, 4]\n        d: [1, 2, 3, 4]\n        include:\n          - extra: 1\n';
    const err = await failure(content);
    expect(err.message).to.match(/the matrix of job a has 257 combinations; the limit is 256/);
    expect(err.line).to.equal(6);
  });
});
