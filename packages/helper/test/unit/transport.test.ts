import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Socket } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { framedLength, parseHttpResponse } from '../../src/http/http1';
import { netOnlyTransport, nodeTransport } from '../../src/http/node-transport';
import { isIpLiteral, pendingDeprecation, rawTcp } from '../../src/http/raw-tcp';
import { isTransportError, type HttpRequest } from '../../src/http/transport';
import { fakeServer, tempDir } from '../helpers';

const req = (url: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url,
  headers: { authorization: 'Bearer t' },
  timeoutMs: 2000,
  connectTimeoutMs: 1000,
  ...extra,
});

/** A raw TCP server that answers every connection with `reply` (after reading the request head). */
async function rawServer(reply: (request: string, socket: Socket) => void, host = '127.0.0.1') {
  const server = createNetServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n')) reply(seen, socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  const shown = host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${(server.address() as AddressInfo).port}`;
}

describe('parseHttpResponse', () => {
  it.each([
    ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}garbage', 200, '{}'],
    [
      'chunked',
      'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n',
      404,
      'abcde',
    ],
    ['until close', 'HTTP/1.0 500 Internal\r\nX: y\r\n\r\nbody', 500, 'body'],
    ['no reason phrase', 'HTTP/1.1 204\r\n\r\n', 204, ''],
    ['utf-8 body', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\xc3\xa9\xc3\xa9', 200, 'éé'],
  ])('%s', (_n, raw, status, body) => {
    expect(parseHttpResponse(Buffer.from(raw, 'latin1'))).toEqual({ status, body });
  });

  it.each([
    ['no header end', 'HTTP/1.1 200 OK\r\n'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['bad header', 'HTTP/1.1 200 OK\r\nnocolon\r\n\r\n'],
    ['short body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
    ['bad length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['bad chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['truncated chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc'],
  ])('refuses %s', (_n, raw) => {
    expect(() => parseHttpResponse(Buffer.from(raw, 'latin1'))).toThrow();
  });

  it('throws only plain Errors on random input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'),
        (bytes, prefix) => {
          try {
            const r = parseHttpResponse(Buffer.concat([Buffer.from(prefix, 'latin1'), bytes]));
            expect(r.status).toBeGreaterThanOrEqual(100);
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

// Both ways a plain-http request goes out: node's TCP handle (IP literals, raw-tcp.ts) and node:net
// (host names, or where the handle is not available).
describe.each([
  ['TCP handle', nodeTransport],
  ['node:net', netOnlyTransport],
])('nodeTransport over %s', (_name, transport) => {
  it('sends method, path, query, headers and body; reads the answer', async () => {
    const s = await fakeServer((r) => ({ status: 201, json: { echo: r } }));
    const res = await transport(
      req(`${s.url}/v1/x?host=a%2Fb`, {
        method: 'POST',
        body: '{"é":1}',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      }),
    );
    expect(res.status).toBe(201);
    expect((JSON.parse(res.body) as { echo: unknown }).echo).toEqual({
      method: 'POST',
      url: '/v1/x?host=a%2Fb',
      authorization: 'Bearer t',
      body: '{"é":1}',
    });
  });

  it('reads a chunked answer from a server that streams', async () => {
    const url = await rawServer((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.end('6\r\n world\r\n0\r\n\r\n'), 20);
    });
    expect(await transport(req(url))).toEqual({ status: 200, body: 'hello world' });
  });

  it('refuses a header value with a line break (no header injection from a token)', async () => {
    const s = await fakeServer(() => ({ status: 200, json: {} }));
    await expect(
      transport(req(s.url, { headers: { authorization: 'Bearer a\r\nX-Evil: 1' } })),
    ).rejects.toThrow(/line break/);
    expect(s.requests).toHaveLength(0);
  });

  it.each([
    ['refused connection', 'http://127.0.0.1:1', 'unreachable', /ECONNREFUSED/],
    ['not http', 'ftp://127.0.0.1/', 'unreachable', /must be http/],
    ['not a URL', 'nope', 'unreachable', /invalid server URL/],
  ])('%s', async (_n, url, failure, message) => {
    const error = await transport(req(url)).catch((e: unknown) => e);
    expect(isTransportError(error) && error.failure).toBe(failure);
    expect(String(error)).toMatch(message);
  });

  it('a silent server times out', async () => {
    const url = await rawServer(() => undefined);
    const error = await transport(req(url, { timeoutMs: 200 })).catch((e: unknown) => e);
    expect(isTransportError(error) && error.failure).toBe('timeout');
  });

  it('a server that closes without an answer is a protocol failure', async () => {
    const url = await rawServer((_r, socket) => socket.end('HTTP/1.1 200'));
    const error = await transport(req(url)).catch((e: unknown) => e);
    expect(isTransportError(error) && error.failure).toBe('protocol');
  });

  it('stops at the last byte of a Content-Length answer, without waiting for the server to close', async () => {
    const url = await rawServer((_r, socket) => {
      // Sent in two parts, and the connection stays open.
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello');
      setTimeout(() => socket.write(' world'), 20);
    });
    expect(await transport(req(url, { timeoutMs: 1500 }))).toEqual({ status: 200, body: 'hello world' });
  });

  it('an answer without a length is read to the close', async () => {
    const url = await rawServer((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\n\r\nhello');
      setTimeout(() => socket.end(' world'), 20);
    });
    expect(await transport(req(url))).toEqual({ status: 200, body: 'hello world' });
  });

  it('a body larger than the socket buffers goes out whole', async () => {
    const s = await fakeServer((r) => ({ status: 200, json: { length: r.body?.length } }));
    const body = JSON.stringify({ value: 'x'.repeat(3 * 1024 * 1024) });
    const res = await transport(req(s.url, { method: 'POST', body }));
    expect(JSON.parse(res.body)).toEqual({ length: body.length });
  });
});

describe('framedLength', () => {
  const head = (text: string) => Buffer.from(text, 'latin1');
  it.each([
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab', 43],
    ['HTTP/1.1 404 Not Found\r\ncontent-length:0\r\n\r\n', 44],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n', undefined],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n', null],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', null],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n', null],
    ['HTTP/1.1 200 OK\r\n\r\nbody', null],
    ['HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n', null],
  ])('%j → %s', (raw, expected) => {
    expect(framedLength(head(raw))).toBe(expected);
  });
});

describe('nodeTransport', () => {
  it('uses the TCP handle in this node (the single executable embeds the same major)', () => {
    expect(rawTcp()).not.toBeNull();
  });

  it('an IPv6 literal is reached through the handle too', async () => {
    const url = await rawServer((_r, socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'), '::1').catch(
      () => undefined,
    );
    if (url === undefined) return; // no IPv6 loopback on this machine
    expect(await nodeTransport(req(url))).toEqual({ status: 204, body: '' });
  });

  it.each([['127.0.0.1'], ['::1']])(
    'localhost reaches a server listening on %s only, through the handle',
    async (address) => {
      const url = await rawServer(
        (_r, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
        address,
      ).catch(() => undefined);
      if (url === undefined) return; // no IPv6 loopback on this machine
      const port = new URL(url).port;
      expect(await nodeTransport(req(`http://localhost:${port}/`))).toEqual({ status: 200, body: 'ok' });
    },
  );

  it('localhost with nothing listening on either loopback address is refused', async () => {
    const error = await nodeTransport(req('http://localhost:1/')).catch((e: unknown) => e);
    expect(isTransportError(error) && error.failure).toBe('unreachable');
    expect(String(error)).toMatch(/localhost:1: ECONNREFUSED/);
  });

  it.each([
    [[], {}, false],
    [['--pending-deprecation'], {}, true],
    [[], { NODE_OPTIONS: '--max-old-space-size=64 --pending-deprecation' }, true],
    [[], { NODE_OPTIONS: '--no-pending-deprecation-x' }, false],
    [[], { NODE_PENDING_DEPRECATION: '1' }, true],
  ])('pendingDeprecation(%j, %j) = %s', (argv, env, expected) => {
    expect(pendingDeprecation(argv, env)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', true],
    ['10.255.0.1', true],
    ['256.1.1.1', false],
    ['::1', true],
    ['fe80::1', true],
    ['localhost', false],
    ['1.2.3', false],
    ['example.com', false],
  ])('isIpLiteral(%s) = %s', (host, expected) => {
    expect(isIpLiteral(host)).toBe(expected);
  });

  it('https: an untrusted certificate is refused (verification is on)', async () => {
    const dir = tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
      (_q, r) => r.end('{}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const error = await nodeTransport(
      req(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    ).catch((e: unknown) => e);
    expect(isTransportError(error) && error.failure).toBe('unreachable');
    expect(String(error)).toMatch(/SELF_SIGNED|CERT/);
  });
});
