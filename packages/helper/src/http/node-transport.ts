import type { Socket } from 'node:net';
import { TransportError, type HttpRequest, type HttpResponse, type Transport } from './transport';
import { framedLength, parseHttpResponse } from './http1';
import {
  isIpLiteral,
  LOCALHOST,
  rawTcp,
  rawTcpConnectFirst,
  type Connection,
  type ConnectionEvents,
} from './raw-tcp';

// The biggest answer we accept: a registry-secrets list of 1000 slots with
// 16 KiB passwords fits; anything larger is not our server.
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * A {@link Transport} speaking HTTP/1.1 over one connection (node's TCP handle
 * for plain http to an address or localhost, see raw-tcp.ts; else `node:net`,
 * or `node:tls`), closed after the answer. Not global fetch, which loads undici
 * for tens of milliseconds, and not even `node:http`: in a fresh process its
 * client costs ~5 ms of CPU more than this (measured, docs/helper.md), and git
 * starts us for every fetch and push. One request, `Connection: close`, the
 * body read to the end: all the HTTP we need.
 */
export const nodeTransport: Transport = (request) => exchange(request, true);

/** {@link nodeTransport} on `node:net` only (under `--pending-deprecation`; the path other host names take). */
export const netOnlyTransport: Transport = (request) => exchange(request, false);

async function exchange(request: HttpRequest, rawAllowed: boolean): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new TransportError('unreachable', `invalid server URL ${JSON.stringify(request.url)}`);
  }
  const tlsWanted = url.protocol === 'https:';
  if (!tlsWanted && url.protocol !== 'http:') {
    throw new TransportError('unreachable', `server URL must be http:// or https://, not ${url.protocol}//`);
  }
  const where = `${url.protocol}//${url.host}`;
  const head = requestHead(request, url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (tlsWanted ? 443 : 80));
  // Plain http to an address or localhost: node's TCP handle alone (raw-tcp.ts); otherwise a
  // net/tls socket, node:net loaded only then (it costs more than the rest of a request).
  let open: (events: ConnectionEvents) => Connection;
  if (tlsWanted) {
    const socket = await tlsConnect(host, port, request.ca);
    open = (events) => socketConnection(socket, true, events);
  } else if (rawAllowed && (isIpLiteral(host) || host === 'localhost') && rawTcp() !== null) {
    const addresses = host === 'localhost' ? LOCALHOST : [host];
    open = (events) => rawTcpConnectFirst(addresses, port, events);
  } else {
    const { connect } = await import('node:net');
    open = (events) => socketConnection(connect({ host, port }), false, events);
  }

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    let length: number | null | undefined;
    const finish = (error: TransportError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      connection.destroy();
      if (error) {
        reject(error);
        return;
      }
      try {
        resolve(parseHttpResponse(Buffer.concat(chunks)));
      } catch (e) {
        reject(
          new TransportError(
            'protocol',
            `unreadable answer from ${where}: ${e instanceof Error ? e.message : 'error'}`,
          ),
        );
      }
    };
    const total = setTimeout(
      () => finish(new TransportError('timeout', `no answer from ${where} within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    const connect = setTimeout(
      () =>
        finish(
          new TransportError(
            'unreachable',
            `cannot connect to ${where} within ${request.connectTimeoutMs} ms`,
          ),
        ),
      request.connectTimeoutMs,
    );
    const events: ConnectionEvents = {
      connect: () => {
        clearTimeout(connect);
        // write, not end: a half-closed socket makes node's HTTP server abort the request.
        // `Connection: close` has the server close once it has answered.
        connection.write(head);
      },
      data: (chunk) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(
            new TransportError('protocol', `answer from ${where} is larger than ${MAX_RESPONSE_BYTES} bytes`),
          );
          return;
        }
        chunks.push(chunk);
        // The whole answer is in: done, without waiting for the server to close (http1.ts).
        if (length === undefined) length = framedLength(chunks.length === 1 ? chunk : Buffer.concat(chunks));
        if (typeof length === 'number' && size >= length) finish(undefined);
      },
      end: () => finish(undefined),
      error: (code, message) => {
        const tlsProblem = tlsMessage(code, message, url.hostname, request.ca !== undefined);
        if (tlsProblem !== undefined) {
          finish(new TransportError('unreachable', `cannot reach server at ${where}: ${tlsProblem}`));
          return;
        }
        finish(new TransportError('unreachable', `cannot reach server at ${where}: ${code}`));
      },
    };
    const connection = open(events);
  });
}

/** A net or tls socket behind the {@link Connection} interface. */
function socketConnection(socket: Socket, tls: boolean, events: ConnectionEvents): Connection {
  socket.once(tls ? 'secureConnect' : 'connect', () => events.connect());
  socket.on('data', (chunk: Buffer) => events.data(chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => events.error(error.code ?? 'error', error.message));
  socket.on('end', () => events.end());
  socket.on('close', () => events.end());
  return { write: (bytes) => socket.write(bytes), destroy: () => socket.destroy() };
}

// The request bytes. Header values with CR or LF are refused: a token from an
// environment variable must never be able to add a header line.
function requestHead(request: HttpRequest, url: URL): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Array<[string, string]> = [['host', url.host], ...Object.entries(request.headers)];
  if (body !== undefined) headers.push(['content-length', String(body.length)]);
  headers.push(['connection', 'close']);
  let text = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of headers) {
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
      throw new TransportError('protocol', `header ${name} contains a line break`);
    }
    text += `${name}: ${value}\r\n`;
  }
  const headBytes = Buffer.from(`${text}\r\n`, 'utf8');
  return body === undefined ? headBytes : Buffer.concat([headBytes, body]);
}

// TLS is loaded only for https servers. A --ca-file adds to the system CAs, as NODE_EXTRA_CA_CERTS does.
async function tlsConnect(host: string, port: number, ca: string | undefined): Promise<Socket> {
  const tls = await import('node:tls');
  const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
  return tls.connect({
    host,
    port,
    servername,
    ...(ca === undefined ? {} : { ca: [...tls.rootCertificates, ca] }),
  });
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** What a certificate failure means and how to fix it; undefined for other errors. Never contains a secret. */
export function tlsMessage(code: string, message: string, host: string, hadCa: boolean): string | undefined {
  if (UNTRUSTED.has(code)) {
    const fix = hadCa
      ? 'the --ca-file / DODIL_CA_FILE given does not contain the CA that signed it'
      : 'if it is signed by a private CA, pass --ca-file CA.pem or set DODIL_CA_FILE';
    return `the server's TLS certificate is not trusted (${code}); ${fix}`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `the server's TLS certificate has expired (${code})`;
  if (code === 'CERT_NOT_YET_VALID')
    return `the server's TLS certificate is not valid yet (${code}); check the clock`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's TLS certificate is not for ${host} (${code}); use the name the certificate was issued for in --url`;
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))
    return `TLS failed (${code}: ${message})`;
  return undefined;
}
