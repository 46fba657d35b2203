import { execFileSync } from 'node:child_process';
import { connect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { runServer, startServer } from '../support/server-process';

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function tlsConnect(url: string, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: hostname,
        port: Number(port),
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
        ...options,
      },
      () => resolve(socket),
    );
    socket.once('error', reject);
  });
}

/** One keep-alive HTTP/1.1 GET /healthz on an open TLS socket. */
function getOn(socket: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (d: Buffer) => {
      data += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}/.test(data)) {
        socket.off('data', onData);
        resolve(data.split('\r\n', 1)[0] ?? '');
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  });
}

const cn = (socket: TLSSocket) => String(socket.getPeerCertificate().subject.CN);

describe('issue 13 item 10 (server): TLS options', () => {
  test('--tls-min-version TLSv1.3 refuses TLS 1.2 clients; --tls-ciphers picks the TLS 1.2 suites; bad values are refused', async () => {
    const dir = tempDir();
    const a = makeCert(dir, 'alpha');
    const env = { DODIL_MASTER_KEY: testKeyB64(41), DODIL_DATA_DIR: join(dir, 'data') };
    // Before the fix: "Unknown option '--tls-min-version'".
    const v13 = await startServer(
      ['--tls-cert', a.cert, '--tls-key', a.key, '--tls-min-version', 'TLSv1.3'],
      env,
    );
    await expect(tlsConnect(v13.url, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    const ok = await tlsConnect(v13.url);
    expect(ok.getProtocol()).toBe('TLSv1.3');
    ok.destroy();
    expect(await v13.stop()).toBe(0);

    const suite = 'ECDHE-ECDSA-AES256-GCM-SHA384';
    const pinned = await startServer(
      ['--tls-cert', a.cert, '--tls-key', a.key, '--tls-ciphers', `${suite}:TLS_AES_256_GCM_SHA384`],
      env,
    );
    const s12 = await tlsConnect(pinned.url, { maxVersion: 'TLSv1.2' });
    expect([s12.getProtocol(), s12.getCipher().standardName]).toEqual([
      'TLSv1.2',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    ]);
    s12.destroy();
    await expect(
      tlsConnect(pinned.url, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
    ).rejects.toThrow();
    expect(await pinned.stop()).toBe(0);

    for (const bad of [
      ['--tls-min-version', 'TLSv1.1'],
      ['--tls-ciphers', 'NOT-A-CIPHER'],
    ]) {
      const res = runServer(
        ['start', '--listen', '127.0.0.1:0', '--tls-cert', a.cert, '--tls-key', a.key, ...bad],
        env,
      );
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/tls-min-version must be|TLS certificate, key or options are not usable/);
    }
  });

  test('SIGHUP reloads the certificate for new connections without dropping open ones', async () => {
    const dir = tempDir();
    const a = makeCert(dir, 'alpha');
    const b = makeCert(dir, 'bravo');
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    execFileSync('cp', [a.cert, live.cert]);
    execFileSync('cp', [a.key, live.key]);
    const server = await startServer(['--tls-cert', live.cert, '--tls-key', live.key], {
      DODIL_MASTER_KEY: testKeyB64(42),
      DODIL_DATA_DIR: join(dir, 'data'),
    });
    const old = await tlsConnect(server.url);
    expect([cn(old), await getOn(old)]).toEqual(['alpha', 'HTTP/1.1 200 OK']);

    execFileSync('cp', [b.cert, live.cert]);
    execFileSync('cp', [b.key, live.key]);
    // Before the fix: SIGHUP's default action ends the process.
    server.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !server.stdout().includes('tls certificate reloaded'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(server.stdout()).toContain('"msg":"tls certificate reloaded"');

    const fresh = await tlsConnect(server.url);
    expect(cn(fresh)).toBe('bravo');
    fresh.destroy();
    // The connection opened before the reload still works, with its old certificate.
    expect([cn(old), await getOn(old)]).toEqual(['alpha', 'HTTP/1.1 200 OK']);
    old.destroy();

    // A broken pair on reload keeps the current certificate.
    execFileSync('cp', [a.key, live.key]);
    server.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !server.stdout().includes('tls reload failed'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const still = await tlsConnect(server.url);
    expect(cn(still)).toBe('bravo');
    still.destroy();
    expect(await server.stop()).toBe(0);
  });
});
