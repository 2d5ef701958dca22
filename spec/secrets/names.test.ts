import { expect } from 'chai';
import { InvalidArgument } from '../../lib/errors.js';
import { normaliseValue, secretName, variableName } from '../../lib/names.js';

// [name, stored name or the rule its error names]
const secretCases: Array<[string, string | RegExp]> = [
  ['CI', 'CI'],
  ['_CI', '_CI'],
  ['CI_', 'CI_'],
  ['GITHUB', 'GITHUB'],
  ['_123_TEST', '_123_TEST'],
  ['my_secret', 'MY_SECRET'],
  ['X_FORGEJO_Y', 'X_FORGEJO_Y'], // FORGEJO_ is refused only as a prefix
  ['FORGEJO', 'FORGEJO'],
  ['123_TEST', /letters, digits and underscores/],
  ['MY-SECRET', /letters, digits and underscores/],
  ['MY SECRET', /letters, digits and underscores/],
  ['ÉTÉ', /letters, digits and underscores/],
  ['FORGEJO_TOKEN', /FORGEJO_/],
  ['forgejo_x', /FORGEJO_/],
  ['GITEA_TOKEN', /GITEA_ or GITHUB_/],
  ['GITHUB_TOKEN', /GITEA_ or GITHUB_/],
  ['MY_GITHUB_TOKEN', /GITEA_ or GITHUB_/], // GITEA_/GITHUB_ anywhere (the regex quirk)
  ['x_gitea_y', /GITEA_ or GITHUB_/],
  ['', /is required/],
  ['A'.repeat(256), /at most 255/],
];

describe('secret and variable names', () => {
  for (const [name, expected] of secretCases) {
    it(`secret ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)} → ${String(expected)}`, () => {
      if (typeof expected === 'string') expect(secretName(name)).to.equal(expected);
      else expect(() => secretName(name)).to.throw(InvalidArgument, expected);
    });
  }

  // variables: the same rules, and exactly CI is reserved
  const variableCases: Array<[string, string | RegExp]> = [
    ['ci', /cannot be ci/],
    ['CI', /cannot be ci/],
    ['Ci', /cannot be ci/],
    ['CI_SOMETHING', 'CI_SOMETHING'],
    ['_CI', '_CI'],
    ['glados_quote', 'GLADOS_QUOTE'],
    ['runner', 'RUNNER'],
    ['MY_GITHUB_VAR', /GITEA_ or GITHUB_/],
    ['FORGEJO_X', /FORGEJO_/],
    ['9LIVES', /letters, digits/],
  ];
  for (const [name, expected] of variableCases) {
    it(`variable ${JSON.stringify(name)} → ${String(expected)}`, () => {
      if (typeof expected === 'string') expect(variableName(name)).to.equal(expected);
      else expect(() => variableName(name)).to.throw(InvalidArgument, expected);
    });
  }

  it('errors name the field', () => {
    try {
      variableName('ci');
      expect.fail('accepted');
    } catch (e) {
      expect((e as InvalidArgument).field).to.equal('name');
    }
  });

  it('values: CRLF becomes LF, nothing is trimmed, unicode kept; required; at most 65535 characters', () => {
    expect(normaliseValue("   \r\n\tSecrët dåtä\\   \r\n", 'data')).to.equal("   \n\tSecrët dåtä\\   \n");
    expect(() => normaliseValue('', 'data')).to.throw(InvalidArgument, /data: is required/);
    expect(() => normaliseValue(undefined, 'value')).to.throw(InvalidArgument, /value: is required/);
    expect(normaliseValue('x'.repeat(65535), 'data')).to.have.length(65535);
    expect(() => normaliseValue('x'.repeat(65536), 'data')).to.throw(InvalidArgument, /at most 65535/);
    // the limit applies after CRLF → LF
    expect(normaliseValue('\r\n'.repeat(40000), 'data')).to.have.length(40000);
  });
});
