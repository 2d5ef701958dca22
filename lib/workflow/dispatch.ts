// workflow_dispatch inputs (spec §8.3). Forgejo only fills defaults, checks
// `required` and maps a boolean "on" to "true"; here every declared type is
// checked and converted, fixing its known mistakes: a boolean submitted as the
// string "false" is false (not a truthy string), a choice must be one of its
// options (compared as text, so choice "false" matches an option `false`),
// a number must be a number.
import { readYaml, isMapping } from './yaml-source.js';
import { WorkflowError, PreExecutionErrorCode } from './errors.js';

export type DispatchInputType = 'string' | 'boolean' | 'choice' | 'number' | 'environment';

export interface DispatchInput {
  name: string;
  type: DispatchInputType;
  description?: string;
  required: boolean;
  /** The declared default as text (Forgejo reads YAML scalars verbatim). */
  default?: string;
  options?: string[];
}

export const DISPATCH_INPUT_LIMIT = 100;
const TYPES = new Set<DispatchInputType>(['string', 'boolean', 'choice', 'number', 'environment']);

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'object' ? undefined : String(v));

/** The inputs declared under `on.workflow_dispatch.inputs` (empty when the workflow declares none). */
export function dispatchInputsOf(content: string, file?: string): DispatchInput[] {
  const src = readYaml(content, file, PreExecutionErrorCode.JobParsingError);
  const root = src.value;
  const on = isMapping(root) ? root['on'] : undefined;
  const wd = isMapping(on) ? on['workflow_dispatch'] : undefined;
  const inputs = isMapping(wd) ? wd['inputs'] : undefined;
  if (!isMapping(inputs)) return [];
  return Object.entries(inputs).map(([name, decl]) => {
    const d = isMapping(decl) ? decl : {};
    const type = (text(d['type']) ?? 'string') as DispatchInputType;
    if (!TYPES.has(type)) throw src.error(['on', 'workflow_dispatch', 'inputs', name, 'type'], `input ${name} has unsupported type '${type}' (expected string, boolean, choice, number or environment)`);
    const input: DispatchInput = { name, type, required: d['required'] === true || d['required'] === 'true' };
    const description = text(d['description']); if (description !== undefined) input.description = description;
    const def = text(d['default']); if (def !== undefined) input.default = def;
    if (type === 'choice') {
      if (!Array.isArray(d['options']) || d['options'].length === 0) {
        throw src.error(['on', 'workflow_dispatch', 'inputs', name], `choice input ${name} must list its \`options\``);
      }
      input.options = d['options'].map((o) => text(o) ?? '');
    }
    return input;
  });
}

export type DispatchValue = string | boolean | number;

/** Validated inputs: typed values, and the string map Forgejo puts in the event payload. */
export interface DispatchInputs { inputs: Record<string, DispatchValue>; payloadInputs: Record<string, string> }

/** Resolves submitted values against the declarations: defaults, `required`, type checks; throws a WorkflowError naming the input and rule. */
export function validateDispatchInputs(content: string, submitted: Record<string, unknown> = {}, file?: string): DispatchInputs {
  const declared = dispatchInputsOf(content, file);
  const inputs: Record<string, DispatchValue> = {};
  const fail = (msg: string) => new WorkflowError(msg, { file });
  for (const d of declared) {
    let raw: unknown = submitted[d.name];
    if (raw === undefined || raw === null || raw === '') raw = d.default;
    if (raw === undefined || raw === '') {
      if (d.required) throw fail(`input required for '${d.description ?? d.name}': input ${d.name} is required and has no default`);
      if (d.type === 'boolean') inputs[d.name] = false; // an unchecked box
      continue;
    }
    const value = typeof raw === 'object' ? undefined : raw as string | number | boolean;
    if (value === undefined) throw fail(`input ${d.name} must be a single value, not ${JSON.stringify(raw)}`);
    switch (d.type) {
      case 'boolean': {
        const s = String(value).toLowerCase();
        if (s === 'true' || s === 'on') inputs[d.name] = true;
        else if (s === 'false' || s === 'off') inputs[d.name] = false;
        else throw fail(`input ${d.name} must be a boolean (true or false), got '${String(value)}'`);
        break;
      }
      case 'number': {
        const n = typeof value === 'number' ? value : String(value).trim() === '' ? NaN : Number(value);
        if (!Number.isFinite(n)) throw fail(`input ${d.name} must be a number, got '${String(value)}'`);
        inputs[d.name] = n;
        break;
      }
      case 'choice': {
        const s = String(value);
        if (!d.options?.includes(s)) throw fail(`input ${d.name} must be one of ${d.options?.map((o) => `'${o}'`).join(', ')}; got '${s}'`);
        inputs[d.name] = s;
        break;
      }
      default:
        inputs[d.name] = String(value);
    }
  }
  if (Object.keys(inputs).length > DISPATCH_INPUT_LIMIT) throw fail(`too many inputs (limit ${DISPATCH_INPUT_LIMIT})`);
  const payloadInputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) payloadInputs[k] = String(v);
  return { inputs, payloadInputs };
}
