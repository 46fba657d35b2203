import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/commands/argv';
import { GLOBAL_FLAGS } from '../../src/commands/cli';
import { parseGitArgs } from '../../src/git/handler';
import { selectMode } from '../../src/run';

describe('selectMode', () => {
  it.each([
    [['/usr/bin/git-credential-dodil'], ['--slot', 'x', 'get'], 'git', ['--slot', 'x', 'get']],
    [['C:\\bin\\git-credential-dodil.exe'], ['get'], 'git', ['get']],
    [['/usr/bin/docker-credential-dodil'], ['get'], 'docker', ['get']],
    [[undefined, 'docker-credential-dodil'], ['list'], 'docker', ['list']],
    [['/x/dist/dodil.cjs', 'node'], ['credential', 'git', 'get'], 'git', ['get']],
    [['/x/dist/dodil.cjs'], ['credential', 'docker', 'version'], 'docker', ['version']],
    [['/x/dodil'], ['--slot', 'gh', 'get'], 'git', ['--slot', 'gh', 'get']],
    [['/x/dodil'], ['--slot=gh', 'store'], 'git', ['--slot=gh', 'store']],
    [['/x/dodil'], ['erase'], 'git', ['erase']],
    [['/x/dodil'], ['ignite', 'secret', 'list'], 'cli', ['ignite', 'secret', 'list']],
    [['/x/dodil'], ['--url', 'u', 'ignite'], 'cli', ['--url', 'u', 'ignite']],
    [['/x/dodil'], [], 'cli', []],
  ])('%j %j → %s', (names, args, kind, rest) => {
    expect(selectMode(names, args)).toEqual({ kind, args: rest });
  });
});

describe('parseArgs', () => {
  const spec = {
    ...GLOBAL_FLAGS,
    type: { kind: 'string' as const },
    'password-stdin': { kind: 'boolean' as const },
  };
  it.each([
    [['a', '--type', 'git'], { type: 'git' }, ['a']],
    [['--type=git', 'a'], { type: 'git' }, ['a']],
    [['-o', 'json'], { output: 'json' }, []],
    [['-o=json'], { output: 'json' }, []],
    [['--output', 'json', '--output', 'text'], { output: 'text' }, []],
    [['--password-stdin', 'x'], { 'password-stdin': true }, ['x']],
    [['--', '--type', 'x'], {}, ['--type', 'x']],
    [['-'], {}, ['-']],
    [['--type', ''], { type: '' }, []],
  ])('%j', (args, flags, positionals) => {
    const r = parseArgs(args, spec);
    expect(Object.fromEntries(r.flags)).toEqual(flags);
    expect(r.positionals).toEqual(positionals);
  });

  it.each([
    [['--nope'], 'unknown option --nope'],
    [['-x'], 'unknown option -x'],
    [['--type'], 'option --type needs a value'],
    [['--password-stdin=yes'], 'option --password-stdin takes no value'],
  ])('%j fails: %s', (args, message) => {
    expect(() => parseArgs(args, spec)).toThrow(message);
  });
});

describe('parseGitArgs', () => {
  it.each([
    [['get'], { action: 'get' }],
    [['--slot', 'a', 'get'], { action: 'get', slot: 'a' }],
    [['--slot=a', '--url', 'http://s', 'store'], { action: 'store', slot: 'a', url: 'http://s' }],
    [['--future-flag', 'erase'], { action: 'erase', ignored: ['--future-flag'] }],
    [['--slot', 'a', 'get', 'capability'], { action: 'capability', slot: 'a', ignored: ['get'] }],
    [['--help'], { action: '', help: true }],
    [[], { action: '' }],
  ])('%j', (args, expected) => {
    expect(parseGitArgs(args)).toEqual({ help: false, ignored: [], ...expected });
  });

  it('--slot without a value is a usage error', () => {
    expect(() => parseGitArgs(['--slot', 'get'])).toThrow('--slot needs a value');
  });
});
