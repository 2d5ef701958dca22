// workflow_dispatch inputs: defaults, required, types, and Forgejo's known mistakes done right.
import { expect } from 'chai';
import { validateDispatchInputs, dispatchInputsOf, WorkflowError } from '../../lib/workflow/index.js';

const wf = `on:
  workflow_dispatch:
    inputs:
      flag:
        type: boolean
        default: true
      level:
        type: choice
        options: [low, high, "false"]
        default: low
      count:
        type: number
      name:
        description: Who to greet
        required: true
      env:
        type: environment
jobs: {}
`;

describe('workflow_dispatch inputs', () => {
  it('lists the declarations', () => {
    expect(dispatchInputsOf(wf).map((d) => [d.name, d.type, d.required, d.default ?? null])).to.deep.equal([
      ['flag', 'boolean', false, 'true'], ['level', 'choice', false, 'low'], ['count', 'number', false, null],
      ['name', 'string', true, null], ['env', 'environment', false, null],
    ]);
  });
  it('fills defaults and omits empty optional inputs', () => {
    const r = validateDispatchInputs(wf, { name: 'mona' });
    expect(r.inputs).to.deep.equal({ flag: true, level: 'low', name: 'mona' });
    expect(r.payloadInputs).to.deep.equal({ flag: 'true', level: 'low', name: 'mona' });
  });
  it('a boolean submitted as the string "false" is false', () => {
    expect(validateDispatchInputs(wf, { name: 'x', flag: 'false' }).inputs['flag']).to.equal(false);
    expect(validateDispatchInputs(wf, { name: 'x', flag: false }).inputs['flag']).to.equal(false);
    expect(validateDispatchInputs(wf, { name: 'x', flag: 'on' }).inputs['flag']).to.equal(true);
    expect(validateDispatchInputs(wf, { name: 'x', flag: 'TRUE' }).inputs['flag']).to.equal(true);
  });
  it('a non-boolean value for a boolean input names the input and rule', () => {
    expect(() => validateDispatchInputs(wf, { name: 'x', flag: 'maybe' })).to.throw(WorkflowError, /input flag must be a boolean/);
  });
  it('choice "false" is accepted when it is an option, and stays a string', () => {
    expect(validateDispatchInputs(wf, { name: 'x', level: 'false' }).inputs['level']).to.equal('false');
  });
  it('a choice outside the options is refused', () => {
    expect(() => validateDispatchInputs(wf, { name: 'x', level: 'medium' })).to.throw(WorkflowError, /input level must be one of 'low', 'high', 'false'/);
  });
  it('numbers are checked and typed', () => {
    expect(validateDispatchInputs(wf, { name: 'x', count: '42' }).inputs['count']).to.equal(42);
    expect(() => validateDispatchInputs(wf, { name: 'x', count: '4x2' })).to.throw(WorkflowError, /input count must be a number/);
  });
  it('a missing required input names it (by description, as Forgejo) and the rule', () => {
    expect(() => validateDispatchInputs(wf, {})).to.throw(WorkflowError, /input required for 'Who to greet': input name is required/);
  });
  it('environment inputs are strings; undeclared keys are ignored', () => {
    expect(validateDispatchInputs(wf, { name: 'x', env: 'prod', other: 'y' }).inputs).to.deep.equal({ flag: true, level: 'low', name: 'x', env: 'prod' });
  });
  it('unsupported types and choices without options are refused', () => {
    expect(() => dispatchInputsOf('on:\n  workflow_dispatch:\n    inputs:\n      a:\n        type: file\n')).to.throw(WorkflowError, /input a has unsupported type 'file'/);
    expect(() => dispatchInputsOf('on:\n  workflow_dispatch:\n    inputs:\n      a:\n        type: choice\n')).to.throw(WorkflowError, /must list its `options`/);
  });
  it('a workflow without workflow_dispatch has no inputs', () => expect(validateDispatchInputs('on: push\njobs: {}\n', { a: 1 }).inputs).to.deep.equal({}));
});
