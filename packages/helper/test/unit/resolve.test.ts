import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWith } from '../helpers';
import { slots, world } from './setup-world';

describe('dodil resolve', () => {
  it('git: the helper entry in git config', async () => {
    const w = world();
    await runWith(['setup', 'git', '--url', 'https://git.example.com', '--slot', 'gh'], {
      env: w.env,
      transport: slots,
    });
    const r = await runWith(['resolve', 'https://git.example.com/acme/x.git'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'git https://git.example.com\n  slot:   gh\n  why:    git config credential.helper for this URL is "dodil --slot gh"\n  server: slot exists (type git)\n',
    );
    expect(r.stdout).not.toMatch(/alice|\bt\b/);
  });

  it('git: names the helpers and store-file entries asked before the slot, a missing dodil helper, and a pinned user', async () => {
    const w = world();
    w.git('config', '--global', '--add', 'credential.helper', 'store');
    w.git('config', '--global', '--add', 'credential.https://git.example.com.helper', 'dodil --slot gh');
    w.git('config', '--global', 'credential.https://git.example.com.username', 'bob');
    writeFileSync(
      join(w.dir, '.git-credentials'),
      'https://alice:SECRETPW@git.example.com\nhttps://x:y@elsewhere.example\n',
    );
    let r = await runWith(['resolve', 'https://git.example.com/acme/x.git', '-o', 'json'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { shadows: unknown }).shadows).toEqual([
      {
        what: 'git credential.helper "store" (global) is asked before the slot',
        fix: 'dodil setup git --url https://git.example.com --slot gh',
      },
      {
        what: `${join(w.dir, '.git-credentials')} holds a stored password for https://alice@git.example.com (git's store helper answers it first)`,
        fix: 'dodil setup git --url https://git.example.com --slot gh',
      },
      {
        what: 'git asks for user "bob" (credential.username or the URL), the slot belongs to "alice": other stores are searched for "bob"',
        fix: 'git config --global --unset credential.username (or use the URL without a user)',
      },
    ]);
    expect(r.stdout).not.toContain('SECRETPW');
    // after setup git (the reset), store is no longer a shadow
    w.git('config', '--global', '--unset', 'credential.https://git.example.com.username');
    await runWith(['setup', 'git', '--url', 'https://git.example.com', '--slot', 'gh'], {
      env: w.env,
      transport: slots,
    });
    r = await runWith(['resolve', 'https://git.example.com/acme/x.git', '-o', 'json'], {
      env: w.env,
      transport: slots,
    });
    expect((JSON.parse(r.stdout) as { shadows: unknown }).shadows).toEqual([]);
    // a mapping that git never reaches: no dodil helper configured
    writeFileSync(
      w.env.DODIL_CONFIG,
      JSON.stringify({ mappings: { git: [{ url: 'https://m.example', slot: 'gh' }] } }),
    );
    r = await runWith(['resolve', 'https://m.example/x.git'], { env: w.env, transport: slots });
    expect(r.stdout).toContain(
      '  shadow: no dodil helper is configured for this URL in git config: git never asks the slot\n  fix:    dodil setup git --url https://m.example --slot gh\n',
    );
  });

  it('docker: names auths entries in every auth file and a credsStore podman ignores', async () => {
    const w = world();
    mkdirSync(w.env.DOCKER_CONFIG);
    const dockerFile = join(w.env.DOCKER_CONFIG, 'config.json');
    writeFileSync(dockerFile, JSON.stringify({ credsStore: 'dodil' }));
    writeFileSync(w.env.DODIL_CONFIG, JSON.stringify({ mappings: { docker: { 'ghcr.io': 'reg' } } }));
    mkdirSync(join(w.env.XDG_RUNTIME_DIR, 'containers'), { recursive: true });
    writeFileSync(
      join(w.env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: 'YWxpY2U6cHc=' } } }),
    );
    let r = await runWith(['resolve', 'ghcr.io'], { env: w.env, transport: slots });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `  shadow: ${join(w.env.XDG_RUNTIME_DIR, 'containers', 'auth.json')} holds a stored login auths["ghcr.io"]`,
    );
    expect(r.stdout).toContain('  fix:    dodil setup docker ghcr.io --slot reg --fix\n');
    expect(r.stdout).toContain(
      `  shadow: ${dockerFile}: credsStore "dodil" is ignored by podman, buildah and skopeo; they never ask the slot\n  fix:    dodil setup docker ghcr.io --slot reg\n`,
    );
    await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg', '--fix'], { env: w.env, transport: slots });
    r = await runWith(['resolve', 'ghcr.io', '-o', 'json'], { env: w.env, transport: slots });
    expect((JSON.parse(r.stdout) as { shadows: unknown }).shadows).toEqual([]);
  });

  it('git: a client-config mapping, and a path mapping that needs useHttpPath', async () => {
    const w = world();
    writeFileSync(
      w.env.DODIL_CONFIG,
      JSON.stringify({
        mappings: {
          git: [
            { url: 'https://h.example/acme', slot: 'reg' },
            { url: 'g.example', slot: 'gh' },
          ],
        },
      }),
    );
    let r = await runWith(['resolve', 'https://g.example/x.git', '-o', 'json'], {
      env: w.env,
      transport: slots,
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'git', slot: 'gh', server: 'slot exists (type git)' });
    r = await runWith(['resolve', 'https://h.example/acme/x.git'], { env: w.env, transport: slots });
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/credential.useHttpPath true/);
  });

  it('git: an http URL that only a scheme-less mapping would match says how to allow it', async () => {
    const w = world();
    writeFileSync(
      w.env.DODIL_CONFIG,
      JSON.stringify({ mappings: { git: [{ url: 'g.example', slot: 'gh' }] } }),
    );
    const r = await runWith(['resolve', 'http://g.example/x.git'], { env: w.env, transport: slots });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain(
      'why:    mapping "g.example" has no scheme, so it answers https only; to send this slot over cleartext http, map "http://g.example" instead',
    );
  });

  it('git: a registry slot is reported as refused', async () => {
    const w = world();
    writeFileSync(
      w.env.DODIL_CONFIG,
      JSON.stringify({ mappings: { git: [{ url: 'g.example', slot: 'reg' }] } }),
    );
    const r = await runWith(['resolve', 'https://g.example/x.git'], { env: w.env, transport: slots });
    expect(r.stdout).toMatch(/is a registry slot; the helper refuses it/);
  });

  it.each([
    ['https://index.docker.io/v1/', 0, /slot: {3}hub/],
    ['registry-1.docker.io', 0, /only registry slot whose server address is docker\.io/],
    ['quay.io', 5, /several registry slots match: q1, q2/],
    ['nothing.example', 5, /credentials not found/],
  ])('docker %s', async (input, code, out) => {
    const r = await runWith(['resolve', input], { env: world().env, transport: slots });
    expect(r.code).toBe(code);
    expect(r.stdout).toMatch(out);
    expect(r.stdout).not.toMatch(/\bp\b/);
  });

  it('docker: a mapping, forced with --docker for an https URL', async () => {
    const w = world();
    writeFileSync(w.env.DODIL_CONFIG, JSON.stringify({ mappings: { docker: { 'ghcr.io': 'reg' } } }));
    const r = await runWith(['resolve', '--docker', 'https://ghcr.io/'], { env: w.env, transport: slots });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /docker ghcr.io\n {2}slot: {3}reg\n {2}why: {4}mapping in .*\n {2}server: slot exists \(type registry\)/,
    );
  });
});
