import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { startServer } from '../support/server-process';

const KEY = testKeyB64(6);

function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

test('with --tls-cert/--tls-key the server speaks HTTPS', async () => {
  const dir = tempDir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
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
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = await startServer(['--tls-cert', cert, '--tls-key', key], {
    DODIL_MASTER_KEY: KEY,
    DODIL_DATA_DIR: join(dir, 'data'),
  });
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const res = await httpsGet(`${server.url}/readyz`);
  expect(res.status).toBe(200);
  expect(await server.stop()).toBe(0);
});
