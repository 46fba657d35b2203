#!/usr/bin/env node
// Start-up cost of the single executables, as ratios to `node -e 0` measured in the same run:
//   node scripts/sea/measure-startup.mjs [--runs 40] [--bin-dir dist/bin] [--extra name=path ...]
// Runs each command in turn (interleaved, so machine noise hits all alike) and prints median and
// mean wall time. The helper `get`s are answered by a real dodil-server from --bin-dir.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(option('--runs', '40'));
const binDir = resolve(option('--bin-dir', 'dist/bin'));
const extras = args.flatMap((a, i) => (args[i - 1] === '--extra' ? [a.split('=')] : []));

const dir = mkdtempSync(join(tmpdir(), 'dodil-measure-'));
const env = {
  PATH: '/usr/bin:/bin',
  HOME: dir,
  DODIL_DATA_DIR: join(dir, 'data'),
  DODIL_CACHE_DIR: join(dir, 'cache'),
  // Not 32 equal bytes: new stores refuse obviously weak master keys.
  DODIL_MASTER_KEY: 'pSeL6jh6tVgl2Qo3d3Ae08kUXxTqQH63sDu06WnlGSI=',
};
const server = join(binDir, 'dodil-server');
const must = (file, argv, input = '', extraEnv = {}) => {
  const r = spawnSync(file, argv, { env: { ...env, ...extraEnv }, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${argv.join(' ')}: ${r.status} ${r.stderr}`);
  return r.stdout;
};

let child;
try {
  must(server, ['org', 'create', 'bench']);
  const token = must(server, [
    'token',
    'create',
    '--org',
    'bench',
    '--scopes',
    'CreateSecret,GetSecret,ListSecrets,DeleteSecret',
  ]).trim();
  child = spawn(server, ['start', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (log += c));
  let url;
  for (let i = 0; i < 200 && url === undefined; i += 1) {
    url = /"msg":"listening","url":"([^"]+)"/.exec(log)?.[1];
    await sleep(25);
  }
  if (url === undefined) throw new Error('server did not start');
  const clientEnv = { DODIL_URL: url, DODIL_TOKEN: token };
  const dodil = join(binDir, 'dodil');
  must(
    dodil,
    ['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'bot', '--token-stdin'],
    'pat\n',
    clientEnv,
  );
  must(
    dodil,
    [
      'ignite',
      'secret',
      'create',
      'ghcr',
      '--type',
      'registry',
      '--username',
      'bot',
      '--password-stdin',
      '--server-address',
      'ghcr.io',
    ],
    'pw\n',
    clientEnv,
  );

  const gitInput = 'protocol=https\nhost=git.example.com\n\n';
  const commands = [
    ['node -e 0', process.execPath, ['-e', '0'], ''],
    ['dodil --version', dodil, ['--version'], ''],
    [
      'git-credential-dodil --slot gh get',
      join(binDir, 'git-credential-dodil'),
      ['--slot', 'gh', 'get'],
      gitInput,
    ],
    ['docker-credential-dodil get', join(binDir, 'docker-credential-dodil'), ['get'], 'ghcr.io'],
    ['dodil-server --version', server, ['--version'], ''],
    // An admin command: extracts nothing (cached) but verifies and loads the addon, opens the db.
    ['dodil-server token list --org bench', server, ['token', 'list', '--org', 'bench'], ''],
    ...extras.flatMap(([name, path]) => [
      [`${name} --version`, path, ['--version'], ''],
      [`${name} credential git --slot gh get`, path, ['credential', 'git', '--slot', 'gh', 'get'], gitInput],
    ]),
  ];
  const times = commands.map(() => []);
  for (let i = 0; i < runs + 3; i += 1) {
    commands.forEach(([name, file, argv, input], k) => {
      const start = process.hrtime.bigint();
      const r = spawnSync(file, argv, { env: { ...env, ...clientEnv }, input, encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (r.status !== 0 || (k > 0 && r.stdout === '')) throw new Error(`${name}: ${r.status} ${r.stderr}`);
      if (i >= 3) times[k].push(ms); // 3 warm-up rounds
    });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = median(times[0]);
  console.log(`runs: ${runs} each, interleaved; node ${process.version}`);
  commands.forEach(([name], k) => {
    const m = median(times[k]);
    console.log(
      `${name.padEnd(44)} median ${m.toFixed(1).padStart(6)} ms  mean ${mean(times[k]).toFixed(1).padStart(6)} ms  ×${(m / base).toFixed(2)}`,
    );
  });
} finally {
  if (child !== undefined && child.exitCode === null) {
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGTERM');
    await closed;
  }
  rmSync(dir, { recursive: true, force: true });
}
