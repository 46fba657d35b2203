import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { servedWorld } from './support';

/** Writes raw bytes to the server, half-closes, and collects whatever comes back (bounded). */
function raw(url: string, chunks: Array<string | Buffer>, { end = true } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (end) socket.end();
    });
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

test('malformed HTTP on a real socket: 4xx or a closed connection, never a 5xx, a hang or a partial write', async () => {
  const w = await servedWorld();
  let stalled: Promise<string> | undefined;
  try {
    const auth = `Authorization: ${w.headers.authorization}\r\n`;
    const create = (name: string) =>
      JSON.stringify({ name, value: { gitSecret: { username: 'u', token: 'SOCKET-PARTIAL' } } });
    const cases: Array<[string, Array<string | Buffer>, number[]]> = [
      ['a garbage request line', ['GARBAGE\r\n\r\n'], [400]],
      ['a NUL in a header', ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'], [400]],
      [
        'both Content-Length and chunked',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        ],
        [400],
      ],
      [
        'a broken chunk',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
        ],
        [400],
      ],
      [
        'a header block over 16 KiB',
        [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
        [431],
      ],
      [
        'a gzip-encoded body (bodies are not decompressed)',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${gzipSync(create('gz')).length}\r\nConnection: close\r\n\r\n`,
          gzipSync(create('gz')),
        ],
        [400],
      ],
      [
        'a body cut short of its Content-Length',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 500\r\n\r\n`,
          create('cut').slice(0, 40),
        ],
        [0, 400],
      ],
      [
        'a complete JSON body under a longer Content-Length, then the client leaves',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${create('short').length + 50}\r\n\r\n`,
          create('short'),
        ],
        [0, 400],
      ],
      [
        'a Content-Length far over the limit',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`,
          create('huge'),
        ],
        [0, 413],
      ],
      [
        'a chunked body over 64 KiB',
        [
          `POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
          ...Array.from({ length: 70 }, () => `400\r\n${'a'.repeat(1024)}\r\n`),
          '0\r\n\r\n',
        ],
        [413],
      ],
      [
        'two pipelined requests',
        [
          `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/ignite/secrets/nope HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
        ],
        [200],
      ],
      [
        'an absolute-form target',
        [`GET http://evil.example/v1/ignite/secrets HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`],
        [200, 404],
      ],
    ];
    const results: string[] = [];
    for (const [label, chunks, allowed] of cases) {
      const response = await raw(w.url, chunks);
      const status = statusOf(response);
      results.push(`${label}: ${status}`);
      expect(allowed, `${label} answered ${status}`).toContain(status);
      expect(response).not.toContain('SOCKET-PARTIAL');
    }
    // A client that stalls mid-headers holds only its own socket.
    stalled = raw(w.url, ['POST /v1/ignite/secrets HTTP/1.1\r\nHost: x\r\nContent-Le'], { end: false });
    expect((await fetch(`${w.url}/healthz`)).status).toBe(200);
    // Nothing from a refused or cut request was written.
    for (const name of ['gz', 'cut', 'short', 'huge']) expect((await w.get(name)).status).toBe(404);
    console.info(`hostile socket: ${results.join('; ')}`);
  } finally {
    await w.close();
    await stalled; // closed by the server's shutdown
  }
});
