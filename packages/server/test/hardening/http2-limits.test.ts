import { readFileSync } from 'node:fs';
import { request as h1request } from 'node:http';
import { connect } from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { describe, expect, test } from 'vitest';
import { listen } from '../../src/edge/listen';
import { startWorld } from '../rpc/support/rpc-world';
import { tempDir } from '../support/harness';
import { provisionOrg, startServer } from '../support/server-process';

const LIST = '/dodil.ignite.v1.SecretService/ListSecrets';
const CREATE = '/dodil.ignite.v1.SecretService/CreateSecret';

function h2(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

/** One HTTP/2 request; resolves with status and grpc-status (headers or trailers). */
function h2call(
  session: ClientHttp2Session,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
  end = true,
) {
  // A held stream (never ended) resolves on the response headers; the others once closed.
  return new Promise<{ status: number; grpcStatus: string | undefined; text: string }>((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ...headers });
    let status = 0;
    let grpcStatus: string | undefined;
    let text = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (!end) resolve({ status, grpcStatus, text });
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      if (t['grpc-status'] !== undefined) grpcStatus = String(t['grpc-status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('close', () => resolve({ status, grpcStatus, text }));
    stream.on('error', reject);
    if (body !== undefined) stream.write(body);
    if (end) stream.end();
  });
}

function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

describe('issue 13 item 3: authenticate before reading an RPC body', () => {
  test('a bad Connect or gRPC body without a token is UNAUTHENTICATED, not INVALID_ARGUMENT', async () => {
    const w = await startWorld();
    const connectRes = await fetch(`${w.url}${CREATE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    // Before the fix: 400 invalid_argument (the body was decoded first).
    expect([connectRes.status, ((await connectRes.json()) as { code: string }).code]).toEqual([
      401,
      'unauthenticated',
    ]);
    const session = await h2(w.url);
    const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
    const grpc = await h2call(
      session,
      { ':path': CREATE, 'content-type': 'application/grpc', te: 'trailers' },
      garbage,
    );
    expect(grpc.grpcStatus).toBe('16');
    session.close();
  });

  test('HTTP/2 connections are told SETTINGS_MAX_CONCURRENT_STREAMS ≤ 100', async () => {
    const w = await startWorld();
    const session = await h2(w.url);
    // Before the fix: 4294967295.
    expect(session.remoteSettings.maxConcurrentStreams).toBeLessThanOrEqual(100);
    session.close();
  });

  test('an HTTP/2 stream that never finishes its body is cancelled at the request timeout', async () => {
    const w = await startWorld();
    const token = await w.token();
    const server = await listen({
      fetch: w.app.fetch,
      host: '127.0.0.1',
      port: 0,
      rpc: { secrets: w.runtime.secrets, auth: w.runtime.auth, logger: w.logger },
      limits: { requestTimeoutMs: 500 },
    });
    const session = await h2(server.url);
    const started = Date.now();
    const held = h2call(
      session,
      { ':path': LIST, 'content-type': 'application/json', authorization: `Bearer ${token}` },
      '{"pageS',
      false,
    ).catch((err: unknown) => ({ status: -1, grpcStatus: undefined, text: String(err) }));
    const out = await held;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.status).not.toBe(200);
    session.destroy();
    await server.close(200);
  });

  test('connections beyond the cap are closed on accept', async () => {
    const w = await startWorld();
    const server = await listen({
      fetch: w.app.fetch,
      host: '127.0.0.1',
      port: 0,
      limits: { maxConnections: 2 },
    });
    const sessions = [await h2(server.url), await h2(server.url)];
    const third = connect(server.url);
    const closed = await new Promise<boolean>((resolve) => {
      third.once('remoteSettings', () => resolve(false));
      third.once('close', () => resolve(true));
      third.once('error', () => resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    expect(closed).toBe(true);
    for (const s of sessions) s.destroy();
    third.destroy();
    await server.close(200);
  });

  test('the reproduction: 20 connections × 100 held unauthenticated streams grow a real server by ≤ 30 MB, all answered 401 or 429', async () => {
    const dir = tempDir();
    const env = {
      DODIL_MASTER_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 73 + 41) & 255)).toString(
        'base64',
      ),
      DODIL_DATA_DIR: dir,
    };
    provisionOrg(env);
    const server = await startServer([], env);
    const pid = server.child.pid ?? 0;
    // The baseline is taken after two bursts of the same shape whose connections were then
    // closed: V8 grows its heap for the first bursts and keeps it (a cold first burst adds
    // ~60 MB that is garbage, not held). What is measured is what 2,000 streams *held open*
    // pin on top of that.
    const burst = async (hold: boolean) => {
      const sessions = await Promise.all(Array.from({ length: 20 }, () => h2(server.url)));
      const answers = await Promise.all(
        sessions.flatMap((s) =>
          Array.from({ length: 100 }, () =>
            // Headers and the first byte of a body that (when held) never ends, with no token.
            h2call(s, { ':path': LIST, 'content-type': 'application/json' }, hold ? '{' : '{}', !hold).catch(
              () => ({
                status: -1,
                grpcStatus: undefined,
                text: '',
              }),
            ),
          ),
        ),
      );
      return { sessions, answers };
    };
    for (let round = 0; round < 2; round++) {
      for (const s of (await burst(true)).sessions) s.destroy();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const before = vmRssKb(pid);
    const { sessions, answers } = await burst(true);
    await new Promise((r) => setTimeout(r, 1000));
    const after = vmRssKb(pid);
    const grewMb = (after - before) / 1024;
    console.log(
      `RSS ${before} kB → ${after} kB (+${grewMb.toFixed(1)} MB) under 2,000 unauthenticated streams`,
    );
    // Before the fix: the streams were held open waiting for their bodies (no answer). After the
    // tenth failure the address is throttled: 429 from then on.
    expect(answers.filter((a) => a.status === 401 || a.status === 429)).toHaveLength(2000);
    expect(grewMb).toBeLessThanOrEqual(30);
    for (const s of sessions) s.destroy();
    expect(await server.stop()).toBe(0);
  }, 120_000);
});

describe('issue 13 item 6: two Authorization headers are refused on every protocol', () => {
  // Node's HTTP/2 client refuses to send a header twice, so the RPC protocols go over HTTP/1.1
  // here; both HTTP versions reach the same check (the raw header list of the listener).
  test('REST, Connect and gRPC-Web all answer UNAUTHENTICATED', async () => {
    const w = await startWorld();
    const token = await w.token();
    const good = `Bearer ${token}`;
    const bad = 'Bearer dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const { port } = new URL(w.url);
    const h1 = (type: string, body: string | Buffer, authorization: string | string[]) =>
      new Promise<{ status: number; grpcStatus: string | undefined }>((resolve, reject) => {
        const req = h1request(
          {
            host: '127.0.0.1',
            port,
            path: LIST,
            method: 'POST',
            headers: [
              'host',
              `127.0.0.1:${port}`,
              'content-type',
              type,
              ...[authorization].flat().flatMap((a) => ['authorization', a]),
            ],
          },
          (res) => {
            let data = '';
            res.setEncoding('latin1');
            res.on('data', (d: string) => (data += d));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, grpcStatus: /grpc-status:\s*(\d+)/.exec(data)?.[1] }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    // Before the fix, Connect and gRPC-Web used the first header: 200 / grpc-status 0.
    expect((await h1('application/json', '{}', [good, bad])).status).toBe(401);
    const empty = Buffer.from([0, 0, 0, 0, 0]);
    expect((await h1('application/grpc-web+proto', empty, [good, bad])).grpcStatus).toBe('16');
    expect((await h1('application/grpc-web+proto', empty, good)).grpcStatus).toBe('0');
    const rest = await fetch(`${w.url}/v1/ignite/secrets`, {
      headers: [
        ['authorization', good],
        ['authorization', bad],
      ],
    });
    expect(rest.status).toBe(401);
  });
});
