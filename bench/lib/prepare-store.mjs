// One bench store: generated with the server's own code (bench/lib/generate-store.ts), cached by a
// hash of the sources that shape a row, and copied into the run's directory.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatHash } from './store-cache.mjs';

/**
 * A generated store (cached under bench/.cache/stores unless --smoke), copied into `runDir/name`.
 */
export function prepareStore({
  name,
  shape: [orgs, perOrg],
  generatorBundle,
  runDir,
  smoke,
  cacheDir,
  repo,
  masterKey,
  log,
}) {
  const dataDir = join(runDir, name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const gen = (dir) => {
    const started = performance.now();
    const r = spawnSync(process.execPath, [generatorBundle, dir, String(orgs), String(perOrg)], {
      env: { ...process.env, DODIL_MASTER_KEY: masterKey },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`store generation failed: ${r.stderr}`);
    return (performance.now() - started) / 1000;
  };
  let generatedSeconds;
  let cached = false;
  if (smoke) {
    generatedSeconds = gen(dataDir);
  } else {
    const dir = join(cacheDir, 'stores', `${formatHash(repo)}-${orgs}x${perOrg}`);
    if (existsSync(join(dir, 'tokens.json'))) {
      cached = true;
    } else {
      log(`generating the ${name} store (${orgs} orgs × ${perOrg} slots) into ${dir} …`);
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true, mode: 0o700 });
      generatedSeconds = gen(tmp);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    copyFileSync(join(dir, 'dodil.db'), join(dataDir, 'dodil.db'));
    copyFileSync(join(dir, 'tokens.json'), join(dataDir, 'tokens.json'));
  }
  const { tokens } = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8'));
  const tokensFile = join(runDir, `${name}.tokens`);
  writeFileSync(tokensFile, tokens.map((t) => t.token).join('\n') + '\n', { mode: 0o600 });
  return { name, dataDir, orgs, perOrg, slots: orgs * perOrg, tokens, tokensFile, cached, generatedSeconds };
}
