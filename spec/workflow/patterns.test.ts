// GitHub filter patterns (spec §2.3) and the Skip/Filter list semantics.
import { expect } from 'chai';
import { patternToRegExp, matchesPositive, matchesIgnore, PatternError } from '../../lib/workflow/index.js';
import { typeGlobToRegExp } from '../../lib/workflow/patterns.js';

describe('filter patterns', () => {
  const table: [string, string, boolean][] = [
    ['feature/*', 'feature/my-branch', true], ['feature/*', 'feature/a/b', false], ['feature/**', 'feature/beta-a/my-branch', true],
    ['*', 'main', true], ['*', 'path/with/slash', false], ['**', 'all/the/branches', true], ['*feature', 'mona-feature', true],
    ['*feature', 'feature', true], ['v2*', 'v2', true], ['v2*', 'v2.9', true], ['v[12].[0-9]+.[0-9]+', 'v1.10.1', true],
    ['v[12].[0-9]+.[0-9]+', 'v2.0.0', true], ['v[12].[0-9]+.[0-9]+', 'v3.0.0', false], ['*.jsx?', 'page.js', true],
    ['*.jsx?', 'page.jsx', true], ['**.js', 'index.js', true], ['**.js', 'src/js/app.js', true], ['docs/**/*.md', 'docs/README.md', true],
    ['docs/**/*.md', 'docs/a/markdown/file.md', true], ['**/docs/**', 'docs/hello.md', true], ['**/docs/**', 'space/docs/plan/space.doc', true],
    ['**/README.md', 'README.md', true], ['**/*src/**', 'my-src/code/js/app.js', true], ['**/migrate-*.sql', 'db/sept/migrate-v1.sql', true],
    ['.yml', 'fyml', false], ['\\!file', '!file', true], ['*', '.gitignore', true], ['**', '.github/workflows/ci.yml', true],
    ['release/v+', 'release/vvv', true], ['?abc', '?abc', true], ['+abc', '+abc', true],
  ];
  for (const [pattern, input, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${input}`, () => {
      expect(patternToRegExp(pattern).test(input)).to.equal(expected);
    });
  }

  it('rejects bad character classes with a positioned message', () => {
    expect(() => patternToRegExp('a[]')).to.throw(PatternError, /Position: 1/);
    expect(() => patternToRegExp('a[!x]')).to.throw(PatternError);
    expect(() => patternToRegExp('a[z-a]')).to.throw(PatternError, /range/);
  });

  it('rejects activity type globs that do not compile with a PatternError naming the pattern', () => {
    expect(() => typeGlobToRegExp('{opened')).to.throw(PatternError, "invalid activity type pattern '{opened': Unterminated group");
    expect(() => typeGlobToRegExp('[z-a]')).to.throw(PatternError, "invalid activity type pattern '[z-a]': Range out of order in character class");
    expect(typeGlobToRegExp('{opened,closed}').test('closed')).to.equal(true);
  });

  describe('positive lists (Skip): the last matching pattern decides', () => {
    it('README.md with [*.md, !README.md, README*] is included', () => expect(matchesPositive(['*.md', '!README.md', 'README*'], ['README.md'])).to.equal(true));
    it('README.md with [*.md, !README.md] is excluded', () => expect(matchesPositive(['*.md', '!README.md'], ['README.md'])).to.equal(false));
    it('* does not match path/with/slash', () => expect(matchesPositive(['*'], ['path/with/slash'])).to.equal(false));
    it('no patterns match anything', () => expect(matchesPositive([], ['x'])).to.equal(true));
    it('no inputs never match', () => expect(matchesPositive(['**'], [])).to.equal(false));
    it('any included input is enough', () => expect(matchesPositive(['src/**'], ['docs/a.md', 'src/a.ts'])).to.equal(true));
  });

  describe('ignore lists (Filter)', () => {
    it('* ignores nothing with a slash', () => expect(matchesIgnore(['*'], ['path/with/slash'])).to.equal(true));
    it('**.js ignores src/js/app.js', () => expect(matchesIgnore(['**.js'], ['src/js/app.js'])).to.equal(false));
    it('[*.md, !README.md, README*] on README.md: the first hit ignores it', () => expect(matchesIgnore(['*.md', '!README.md', 'README*'], ['README.md'])).to.equal(false));
    it('a !pattern ignores what it does not match (docs/hello.md)', () => expect(matchesIgnore(['*.md', '!README.md'], ['docs/hello.md'])).to.equal(false));
    it('matches when some input is not ignored', () => expect(matchesIgnore(['docs/**'], ['docs/a.md', 'src/a.ts'])).to.equal(true));
    it('no inputs never match', () => expect(matchesIgnore(['docs/**'], [])).to.equal(false));
  });
});
