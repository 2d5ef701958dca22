// Runs every case of forgejo-runner's jobparser table (../shared/conformance/jobparser,
// read at test time, never copied: the YAML is GPL test data) against planWorkflow,
// comparing documents structurally and in order.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { planWorkflow } from '../../lib/workflow/index.js';
import type { PlanOptions, ReusableKind } from '../../lib/workflow/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/conformance/jobparser');
const read = (f: string) => readFileSync(path.join(dataDir, f), 'utf8');

interface Case {
  name: string;
  input: string;
  expected: string | null;
  expectedError: string | null;
  expectedDocumentCount?: number;
  options: {
    jobOutputs: Record<string, Record<string, string>> | null;
    jobResults: Record<string, string> | null;
    github: Record<string, unknown> | null;
    inputs: Record<string, unknown> | null;
    vars: Record<string, string> | null;
    workflowNeeds: string[] | null;
    supportIncompleteRunsOn: boolean;
    reusable: null | {
      enabled: ReusableKind[];
      refs: Record<string, { kind: ReusableKind; file: string }>;
      unexpected: Record<string, { kind: 'error'; message: string } | { kind: 'file'; file: string }>;
    };
  };
}

const cases = JSON.parse(read('cases.json')) as Case[];

function optionsOf(c: Case, calls: string[]): PlanOptions {
  const o = c.options;
  const opts: PlanOptions = {
    jobOutputs: o.jobOutputs, jobResults: o.jobResults, github: o.github, inputs: o.inputs, vars: o.vars,
    workflowNeeds: o.workflowNeeds, supportIncompleteRunsOn: o.supportIncompleteRunsOn,
  };
  const reusable = o.reusable;
  if (reusable) {
    opts.expandReusable = reusable.enabled;
    opts.fetchReusable = async (uses, kind) => {
      calls.push(uses);
      const known = reusable.refs[uses];
      if (known && known.kind === kind) return read(known.file);
      const fallback = reusable.unexpected[kind];
      if (fallback?.kind === 'file') return read(fallback.file);
      throw new Error((fallback?.kind === 'error' ? fallback.message : 'unexpected reference <path>').replace('<path>', uses));
    };
  }
  return opts;
}

const expectedDocs = (file: string) => parseAllDocuments(read(file)).map((d) => {
  if (!('toJS' in d)) throw new Error(`cannot parse ${file}`);
  return d.toJS() as unknown;
});

describe('planner conformance (forgejo-runner jobparser testdata)', () => {
  it('has the 42 cases of the Go table', () => {
    expect(cases).to.have.length(42);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const calls: string[] = [];
      const run = planWorkflow(read(c.input), optionsOf(c, calls));
      if (c.expectedError) {
        let failure: unknown;
        try { await run; } catch (e) { failure = e; }
        expect(failure, 'planWorkflow should reject').to.be.instanceOf(Error);
        expect((failure as Error).message).to.contain(c.expectedError);
        if (c.name === 'expand_local_workflow_recursion_limit') expect(calls).to.have.length(6);
        return;
      }
      const actual = JSON.parse(JSON.stringify(await run)) as unknown[];
      const expected = expectedDocs(c.expected as string);
      expect(expected).to.have.length(c.expectedDocumentCount as number);
      expect(actual.length, 'document count').to.equal(expected.length);
      actual.forEach((doc, i) => expect(doc, `document ${i}`).to.deep.equal(expected[i]));
    });
  }

  it('erase_needs: the stored payloads drop needs (TestSingleWorkflow_SetJob)', async () => {
    const { planJobs } = await import('../../lib/workflow/index.js');
    const jobs = await planJobs(read('erase_needs.in.yaml'));
    const expected = expectedDocs('erase_needs.out.yaml');
    expect(jobs.map((j) => parseAllDocuments(j.payload)[0]?.toJS())).to.deep.equal(expected);
  });
});
