import { connect as connectHttp2 } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import { expect, test } from 'vitest';
import { envelope, http2Request } from './support/wire';
import { startWorld } from './support/rpc-world';

// Field 1 (name) claims 5 bytes but only 1 follows: protobuf-es fails with "premature EOF".
const TRUNCATED = Buffer.from([0x0a, 0x05, 0x61]);
const PATH = '/dodil.ignite.v1.SecretService/GetSecret';

test('a malformed protobuf body over Connect is INVALID_ARGUMENT (400), not INTERNAL', async () => {
  const w = await startWorld();
  const token = await w.token('acme');
  const res = await fetch(`${w.url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
    body: TRUNCATED,
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ code: 'invalid_argument', message: 'malformed protobuf message' });
});

test('a malformed protobuf message over gRPC is INVALID_ARGUMENT, not INTERNAL', async () => {
  const w = await startWorld();
  const token = await w.token('acme');
  const session = connectHttp2(w.url);
  const status = await new Promise<string>((resolve, reject) => {
    session.once('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${token}`,
    });
    let code = '';
    req.on('response', (h) => {
      if (typeof h['grpc-status'] === 'string') code = h['grpc-status'];
    });
    req.on('trailers', (t: IncomingHttpHeaders) => {
      if (typeof t['grpc-status'] === 'string') code = t['grpc-status'];
    });
    req.on('data', () => {});
    req.once('error', reject);
    req.on('end', () => resolve(code));
    req.end(envelope(TRUNCATED));
  });
  session.close();
  expect(status).toBe('3');
});

test('random bytes as a protobuf body never give a 5xx over Connect or gRPC-Web', async () => {
  const w = await startWorld();
  const token = await w.token('acme');
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const statuses = new Set<string>();
  for (let i = 0; i < 150; i++) {
    const body = Buffer.from(Array.from({ length: next() % 40 }, () => next() % 256));
    for (const rpc of ['GetSecret', 'CreateSecret', 'ListSecrets', 'DeleteSecret']) {
      const connect = await fetch(`${w.url}/dodil.ignite.v1.SecretService/${rpc}`, {
        method: 'POST',
        headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
        body,
      });
      await connect.arrayBuffer();
      statuses.add(`connect ${connect.status}`);
      expect(connect.status).toBeLessThan(500);
      const web = await fetch(`${w.url}/dodil.ignite.v1.SecretService/${rpc}`, {
        method: 'POST',
        headers: { 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${token}` },
        body: envelope(body),
      });
      const text = Buffer.from(await web.arrayBuffer()).toString('latin1');
      const code = /grpc-status:\s*(\d+)/.exec(text)?.[1] ?? web.headers.get('grpc-status') ?? '0';
      statuses.add(`grpc-web ${code}`);
      expect(code).not.toBe('13');
    }
  }
  expect(statuses.size).toBeGreaterThan(1);
});

test('decoder text never quotes the input over gRPC+JSON and gRPC-Web+JSON', async () => {
  const w = await startWorld();
  const token = await w.token('acme');
  const body = envelope(Buffer.from('"ghp_SECRETSECRET"'));
  const session = connectHttp2(w.url);
  const trailers = await new Promise<string>((resolve, reject) => {
    session.once('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': '/dodil.ignite.v1.SecretService/CreateSecret',
      'content-type': 'application/grpc+json',
      te: 'trailers',
      authorization: `Bearer ${token}`,
    });
    let seen = '';
    req.on('response', (h) => (seen += JSON.stringify(h)));
    req.on('trailers', (t) => (seen += JSON.stringify(t)));
    req.on('data', () => {});
    req.once('error', reject);
    req.on('end', () => resolve(seen));
    req.end(body);
  });
  session.close();
  expect(trailers).toContain('"grpc-status":"3"');
  expect(trailers).not.toContain('SECRET');

  const web = await fetch(`${w.url}/dodil.ignite.v1.SecretService/CreateSecret`, {
    method: 'POST',
    headers: { 'content-type': 'application/grpc-web+json', authorization: `Bearer ${token}` },
    body,
  });
  const text = Buffer.from(await web.arrayBuffer()).toString('latin1');
  expect(text).toMatch(/grpc-status: 3/);
  expect(text).not.toContain('SECRET');
});

test('reflection answers over gRPC-Web on HTTP/2 (a stream, passed through untouched)', async () => {
  const w = await startWorld();
  const res = await http2Request(
    w.url,
    {
      ':method': 'POST',
      ':path': '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      'content-type': 'application/grpc-web+json',
    },
    // The answer carries descriptor.proto too: well over the 16 KiB a unary error is read into.
    envelope(Buffer.from('{"fileContainingSymbol":"dodil.ignite.v1.SecretService"}')),
  );
  const text = res.body.toString('latin1');
  expect(res.body.length).toBeGreaterThan(16 * 1024);
  expect(text).toContain('fileDescriptorProto');
  expect(text).toMatch(/grpc-status: ?0/);
});
