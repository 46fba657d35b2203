import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { gitValue, tempDir } from '../support/harness';
import { bearer, grpcDriver } from './support/drivers';
import { startWorld } from './support/rpc-world';
import { envelope, grpcWebFrames, http2Request, protoStrings, selfSignedCert } from './support/wire';

// Every protocol on the one port: REST over HTTP/1.1 and HTTP/2, gRPC (h2c
// and TLS+ALPN), gRPC-Web over HTTP/1.1, Connect JSON and binary.

const SERVICE = '/dodil.ignite.v1.SecretService';

async function worldWithSlot(tls?: { cert: Buffer; key: Buffer }) {
  const w = await startWorld(tls ? { tls } : {});
  const token = await w.token();
  await w.runtime.secrets.create(
    {
      principal: await w.runtime.auth.authenticate(bearer(token), 'test'),
      requestId: 'setup',
      clientAddress: 'test',
    },
    { name: 'gh', value: gitValue('octo', 'ghp_wire') },
  );
  return { w, token };
}

describe('plaintext: HTTP/1.1 and h2c on one port', () => {
  test('REST answers over HTTP/1.1 and over h2c prior knowledge', async () => {
    const { w, token } = await worldWithSlot();
    const h1 = await fetch(`${w.url}/v1/ignite/secrets/gh`, { headers: { authorization: bearer(token) } });
    expect(h1.status).toBe(200);
    const h2 = await http2Request(w.url, {
      ':method': 'GET',
      ':path': '/v1/ignite/secrets/gh',
      authorization: bearer(token),
    });
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body.toString('utf8'))).toEqual(await h1.json());
    expect((await http2Request(w.url, { ':method': 'GET', ':path': '/healthz' })).status).toBe(200);
  });

  test('Connect binary (application/proto) over HTTP/1.1', async () => {
    const { w, token } = await worldWithSlot();
    const res = await fetch(`${w.url}${SERVICE}/GetSecret`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto', authorization: bearer(token) },
      body: protoStrings([[1, 'gh']]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/proto');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.includes(Buffer.from('ghp_wire'))).toBe(true);
    expect(bytes.includes(Buffer.from('git_secret'))).toBe(true);
  });

  test('gRPC-Web over HTTP/1.1, success and error in the trailer frame', async () => {
    const { w, token } = await worldWithSlot();
    const call = (auth?: string) =>
      fetch(`${w.url}${SERVICE}/GetSecret`, {
        method: 'POST',
        headers: {
          'content-type': 'application/grpc-web+proto',
          'x-grpc-web': '1',
          ...(auth ? { authorization: auth } : {}),
        },
        body: envelope(protoStrings([[1, 'gh']])),
      });
    const ok = grpcWebFrames(Buffer.from(await (await call(bearer(token))).arrayBuffer()));
    expect(ok.trailers['grpc-status']).toBe('0');
    expect(ok.data).toHaveLength(1);
    expect(ok.data[0]?.includes(Buffer.from('ghp_wire'))).toBe(true);
    const denied = await call();
    const frames = grpcWebFrames(Buffer.from(await denied.arrayBuffer()));
    // An error before any message may come as headers only ("trailers-only").
    expect(frames.trailers['grpc-status'] ?? denied.headers.get('grpc-status')).toBe('16');
  });

  test('a caller-supplied request id is kept and echoed on gRPC', async () => {
    const { w, token } = await worldWithSlot();
    const res = await http2Request(
      w.url,
      {
        ':method': 'POST',
        ':path': `${SERVICE}/GetSecret`,
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: bearer(token),
        'x-request-id': 'trace-42',
      },
      envelope(protoStrings([[1, 'gh']])),
    );
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-42');
    expect(
      w.logger.lines.some((l) => l.includes('"requestId":"trace-42"') && l.includes('"code":"OK"')),
    ).toBe(true);
  });

  test('an unknown method of the service is UNIMPLEMENTED for a gRPC client', async () => {
    const w = await startWorld();
    const client = new grpc.Client(w.target, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => {
      client.makeUnaryRequest(
        `${SERVICE}/Nope`,
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (err) => resolve(err?.code ?? 0),
      );
    });
    client.close();
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
  });

  test('a connection that stops inside the HTTP/2 preface does not keep the server from closing', async () => {
    const w = await startWorld();
    const { port } = new URL(w.url);
    const socket = netConnect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('PRI * HT');
    const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await w.server.close(5_000);
    await closedByServer;
  });
});

describe('TLS: ALPN picks h2 or http/1.1 on one port', () => {
  test('gRPC over TLS, REST over HTTPS/1.1 and HTTPS/2', async () => {
    const tls = selfSignedCert(tempDir());
    const { w, token } = await worldWithSlot(tls);
    expect(w.url).toMatch(/^https:/);

    // The certificate names localhost too; TLS SNI can't carry an IP address.
    const d = grpcDriver(w, grpc.credentials.createSsl(tls.cert), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    const got = await d.get(bearer(token), 'gh');
    expect(got.code).toBe('OK');
    expect(got.data).toMatchObject({ value: gitValue('octo', 'ghp_wire') });

    const h1 = await new Promise<{ status: number; alpn: string | false; body: string }>(
      (resolve, reject) => {
        const req = httpsRequest(
          `${w.url}/v1/ignite/secrets/gh`,
          {
            agent: new Agent({ ca: tls.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] }),
            headers: { authorization: bearer(token) },
          },
          (res) => {
            let body = '';
            const alpn = (res.socket as { alpnProtocol?: string | false }).alpnProtocol ?? false;
            res.setEncoding('utf8').on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, alpn, body }));
          },
        );
        req.once('error', reject);
        req.end();
      },
    );
    expect(h1.status).toBe(200);
    expect(h1.alpn).toBe('http/1.1');
    expect(JSON.parse(h1.body)).toMatchObject({ value: gitValue('octo', 'ghp_wire') });

    const h2 = await http2Request(
      w.url,
      { ':method': 'GET', ':path': '/v1/ignite/secrets/gh', authorization: bearer(token) },
      undefined,
      { ca: tls.cert, servername: 'localhost' },
    );
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body.toString('utf8'))).toEqual(JSON.parse(h1.body));
  });
});
