// `npm run bench -- plan`: plans per second for the jobparser conformance corpus
// and for a 200-line workflow with a 3x3 matrix, against parsing the same files
// with `yaml` alone (the baseline). Last line: one JSON object.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { planWorkflow } from '../lib/workflow/index.js';
import type { PlanOptions } from '../lib/workflow/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '../shared/conformance/jobparser');
const read = (f: string) => readFileSync(path.join(dataDir, f), 'utf8');

interface Case { input: string; expectedError: string | null; options: Record<string, unknown> & { reusable: null | { enabled: PlanOptions['expandReusable']; refs: Record<string, { file: string }> } } }
const cases = (JSON.parse(read('cases.json')) as Case[]).filter((c) => !c.expectedError);
const corpus = cases.map((c) => {
  const { reusable, validate: _v, ...rest } = c.options;
  const opts = rest as PlanOptions;
  if (reusable) {
    const files = Object.fromEntries(Object.entries(reusable.refs).map(([k, v]) => [k, read(v.file)]));
    opts.expandReusable = reusable.enabled;
    opts.fetchReusable = async (uses) => files[uses] ?? Object.values(files)[0] ?? '';
  }
  return { content: read(c.input), opts };
});

// A 200-line workflow: 3x3 matrix build plus a chain of ordinary jobs.
function bigWorkflow(): string {
  const lines = [
    'name: ci', 'on:', '  push:', '    branches: [main, "release/**"]', '  pull_request:', '    paths-ignore: ["docs/**"]',
    'env:', '  CI: "true"', 'concurrency:', '  group: ci-${{ github.ref }}', '  cancel-in-progress: true', 'jobs:',
    '  build:', '    name: Build ${{ matrix.os }} node ${{ matrix.node }}', '    runs-on: ${{ matrix.os }}', '    timeout-minutes: 30',
    '    strategy:', '      fail-fast: false', '      matrix:', '        os: [ubuntu-22.04, debian-12, fedora-40]', '        node: [18, 20, 22]',
    '    steps:', '      - uses: actions/checkout@v4', '      - uses: actions/setup-node@v4', '        with:', '          node-version: ${{ matrix.node }}',
  ];
  let i = 0;
  while (lines.length < 120) lines.push(`      - name: step ${i}`, `        run: echo "step ${i} on \${{ matrix.os }}" && make target-${i++}`);
  let j = 0;
  while (lines.length < 196) {
    lines.push(`  job${j}:`, `    needs: ${j === 0 ? 'build' : `job${j - 1}`}`, '    runs-on: docker', '    steps:', `      - run: echo job ${j}`, '        env:', `          N: "${j}"`);
    j++;
  }
  while (lines.length < 200) lines.push(`# padding ${lines.length}`);
  return `${lines.join('\n')}\n`;
}
const big = bigWorkflow();

async function rate(fn: () => Promise<unknown> | unknown, minMs = 1500): Promise<{ perSecond: number; samples: number[] }> {
  for (let i = 0; i < 30; i++) await fn(); // warm-up (JIT)
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return { perSecond: samples.length / ((performance.now() - start) / 1000), samples };
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };

// every iteration plans a text it has not seen (a trailing comment changes), so
// the parse cache the engine keeps for one event's repeated reads never helps here
let round = 0;
const fresh = (content: string) => `${content}\n# ${round++}\n`;
const corpusPlan = await rate(async () => { for (const c of corpus) await planWorkflow(fresh(c.content), c.opts); });
const corpusYaml = await rate(() => { for (const c of corpus) parseAllDocuments(fresh(c.content)); });
const bigPlan = await rate(() => planWorkflow(fresh(big), { jobOutputs: {}, supportIncompleteRunsOn: true, vars: {} }));
const bigYaml = await rate(() => parseAllDocuments(fresh(big)));

const docs = await planWorkflow(big, {});
const plansPerS = corpusPlan.perSecond * corpus.length;
const yamlPerS = corpusYaml.perSecond * corpus.length;
console.log(`corpus: ${corpus.length} workflows; planWorkflow ${plansPerS.toFixed(0)}/s, yaml.parseAllDocuments ${yamlPerS.toFixed(0)}/s`);
console.log(`200-line workflow (${big.split('\n').length - 1} lines, ${docs.length} documents): plan median ${median(bigPlan.samples).toFixed(3)} ms, yaml median ${median(bigYaml.samples).toFixed(3)} ms`);
console.log(JSON.stringify({
  bench: 'plan',
  plans_per_s: Math.round(plansPerS),
  yaml_parse_per_s: Math.round(yamlPerS),
  ratio: Number((plansPerS / yamlPerS).toFixed(3)),
  median_ms_200_lines: Number(median(bigPlan.samples).toFixed(3)),
}));
