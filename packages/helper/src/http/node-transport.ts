import type { IncomingMessage } from 'node:http';
import { TransportError, type HttpRequest, type HttpResponse } from './transport';

// The biggest answer we accept: a registry-secrets list of 1000 slots with
// 16 KiB passwords fits; anything larger is not our server.
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * A {@link Transport} on `node:http`/`node:https`. Not global fetch: loading
 * undici costs tens of milliseconds, and git starts this program for every
 * operation. Each request uses its own connection (no keep-alive), so an
 * idle socket never keeps the process alive.
 */
export async function nodeTransport(request: HttpRequest): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new TransportError('unreachable', `invalid server URL ${JSON.stringify(request.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TransportError('unreachable', `server URL must be http:// or https://, not ${url.protocol}//`);
  }
  // Loaded on first use: https pulls in TLS, which plain-http setups never need.
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (error: TransportError | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (error) {
        req.destroy();
        reject(error);
      } else if (response) {
        resolve(response);
      }
    };
    const where = `${url.protocol}//${url.host}`;
    const headers: Record<string, string | number> = { ...request.headers, connection: 'close' };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const req = mod.request(url, { method: request.method, headers, agent: false });
    timers.push(
      setTimeout(
        () => finish(new TransportError('timeout', `no answer from ${where} within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      ),
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const t = setTimeout(
        () => finish(new TransportError('unreachable', `cannot connect to ${where} within ${request.connectTimeoutMs} ms`)),
        request.connectTimeoutMs,
      );
      timers.push(t);
      socket.once('connect', () => clearTimeout(t));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'error';
      finish(new TransportError('unreachable', `cannot reach server at ${where}: ${code}`));
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(new TransportError('protocol', `answer from ${where} is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      const broken = () => finish(new TransportError('unreachable', `connection to ${where} broke mid-answer`));
      res.on('error', broken);
      // after 'end' this is a no-op: the exchange has already settled
      res.on('close', broken);
      res.on('end', () =>
        finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.end(request.body);
  });
}
