import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { constants as h2constants, createServer as createHttp2Server } from 'node:http2';
import type { Http2Session } from 'node:http2';
import { Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from './logger';
import type { NodeHandlerFn, RpcDeps } from '../rpc/rpc-listener';

/** The TLS certificate, key and protocol options of the listener. */
export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  /** Lowest protocol version accepted (default TLSv1.2). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list (TLS 1.2 suites and TLS 1.3 `TLS_…` names); Node's default when absent. */
  ciphers?: string;
}

/** What {@link listen} serves and where. */
export interface ListenOptions {
  /** The REST app (Hono's `app.fetch`). */
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  host: string;
  port: number;
  tls?: TlsSettings;
  /**
   * Also serve dodil.ignite.v1.SecretService and gRPC reflection over gRPC,
   * gRPC-Web and Connect on the same port, calling these services.
   */
  rpc?: Omit<RpcDeps, 'shutdownSignal'>;
  /** Connection and timeout limits (defaults: {@link DEFAULT_LISTEN_LIMITS}). */
  limits?: Partial<ListenLimits>;
}

/**
 * What one client can hold open. HTTP/1.1 gets Node's header and request
 * timeouts; HTTP/2 gets the same by hand (Node has none for it), a stream cap
 * per connection, and both share the connection cap.
 */
export interface ListenLimits {
  /** Open connections at most (both protocols); more are closed on accept. */
  maxConnections: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of every HTTP/2 connection. */
  maxConcurrentStreams: number;
  /** Until a request's headers are in (HTTP/1.1), or an HTTP/2 connection's first stream opens. */
  headersTimeoutMs: number;
  /** Until a request's whole body is in; an HTTP/2 stream still sending then is cancelled. */
  requestTimeoutMs: number;
}

/** The defaults of {@link ListenLimits}. */
export const DEFAULT_LISTEN_LIMITS: ListenLimits = {
  maxConnections: 4096,
  maxConcurrentStreams: 100,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 60_000,
};

/** A listening server. */
export interface Listening {
  /** `http(s)://host:port` as bound (the real port when 0 was asked). */
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes. */
  close(graceMs?: number): Promise<void>;
  /**
   * Swaps the TLS certificate and options for new connections; open connections keep theirs
   * and are not dropped (certificate renewal on SIGHUP). Throws, changing nothing, on a bad pair.
   */
  reloadTls(tls: TlsSettings): void;
}

/** Node's secure-context options for our TLS settings. */
function secureOptions(tls: TlsSettings) {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: tls.minVersion ?? 'TLSv1.2',
    ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
  } as const;
}

/** The first bytes of every HTTP/2 connection (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A connection that hasn't said which protocol it speaks by then is dropped. */
const SNIFF_TIMEOUT_MS = 30_000;
/** An HTTP/2 connection silent this long gets GOAWAY (clients reconnect on their next call). */
const H2_IDLE_MS = 120_000;

type ConnectionListener = (socket: Socket) => void;

/**
 * Where the RPC side's procedures live: `/<package.Service>/<Method>` of
 * SecretService and of both reflection services. Anything else is REST.
 */
const RPC_PATH_PREFIXES = [
  '/dodil.ignite.v1.SecretService/',
  '/grpc.reflection.v1.ServerReflection/',
  '/grpc.reflection.v1alpha.ServerReflection/',
] as const;

/**
 * The RPC listener, loaded on the first request for an RPC path. The
 * Connect/gRPC stack, protobuf runtime and the reflection descriptors are
 * ~1/3 of the server's code; a server that only sees REST (the credential
 * helpers) never loads them. The relative `import()` is bundled (esbuild
 * turns it into a deferred module init), so it works in the single executable.
 */
function lazyRpcListener(deps: RpcDeps, logger: Logger, fallback: NodeHandlerFn): NodeHandlerFn {
  let loaded: NodeHandlerFn | undefined;
  let loading: Promise<NodeHandlerFn> | undefined;
  return (req, res) => {
    if (loaded !== undefined) {
      loaded(req, res);
      return;
    }
    const url = req.url ?? '';
    if (!RPC_PATH_PREFIXES.some((prefix) => url.startsWith(prefix))) {
      fallback(req, res);
      return;
    }
    loading ??= import('../rpc/rpc-listener').then((m) => (loaded = m.createRpcListener(deps, fallback)));
    loading.then(
      (listener) => listener(req, res),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        logger.error({
          msg: 'rpc failed',
          procedure: url.split('?', 1)[0],
          error: e.name,
          detail: e.message,
        });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  };
}

/**
 * Takes over `event` on `server`: each connection goes either to the HTTP/2
 * side or to the listeners the server had (Node's HTTP/1.1 handling), so that
 * HTTP/1.1 keeps all of `http.Server`'s machinery (header and request
 * timeouts, keep-alive, closeIdleConnections) while HTTP/2 shares the port.
 */
function divert(
  server: Server,
  event: 'connection' | 'secureConnection',
  choose: (socket: Socket, h1: () => void) => void,
) {
  const h1Listeners = server.listeners(event) as ConnectionListener[];
  server.removeAllListeners(event);
  server.on(event, (socket: Socket) => {
    choose(socket, () => {
      for (const listener of h1Listeners) listener.call(server, socket);
    });
  });
}

/**
 * Plain TCP: waits for the first bytes. The HTTP/2 connection preface (h2c
 * with prior knowledge, what gRPC clients send) means HTTP/2; anything else
 * is HTTP/1.1. The bytes read are pushed back for whichever side takes over.
 * Node 20's `http2.createServer({ allowHTTP1 })` only falls back under TLS
 * (ALPN), hence this.
 */
function sniffPreface(socket: Socket, sniffing: Set<Socket>, h2: (s: Socket) => void, h1: () => void): void {
  let seen = Buffer.alloc(0);
  sniffing.add(socket);
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  const done = () => {
    clearTimeout(timer);
    sniffing.delete(socket);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', done);
  };
  const onError = () => {
    done();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2 && seen.length < H2_PREFACE.length) return;
    done();
    socket.pause();
    socket.unshift(seen);
    if (isH2) {
      // The HTTP/2 session reads what is buffered itself; resuming here would race it.
      h2(socket);
    } else {
      h1();
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', done);
}

/**
 * Starts the one listener of the server: HTTP/1.1 and HTTP/2 on one port —
 * h2c with prior knowledge in plaintext, ALPN (`h2`, `http/1.1`) under TLS.
 * REST goes to the Hono app; with `rpc`, gRPC, gRPC-Web and Connect calls of
 * SecretService and reflection go to the RPC listener first.
 */
export async function listen(options: ListenOptions): Promise<Listening> {
  const shutdown = new AbortController();
  const rest = getRequestListener(options.fetch);
  const restListener: NodeHandlerFn = (req, res) => {
    void rest(req, res as ServerResponse);
  };
  const listener: NodeHandlerFn = options.rpc
    ? lazyRpcListener({ ...options.rpc, shutdownSignal: shutdown.signal }, options.rpc.logger, restListener)
    : restListener;
  const h1Handler = (req: IncomingMessage, res: ServerResponse) => listener(req, res);

  const limits: ListenLimits = { ...DEFAULT_LISTEN_LIMITS, ...options.limits };
  const h2 = createHttp2Server(
    { settings: { maxConcurrentStreams: limits.maxConcurrentStreams } },
    (req, res) => {
      // Answered before the body was read (a refusal never reads it): Node resets the stream
      // with NO_ERROR, but the bytes that had arrived stay buffered, and a stream whose readable
      // side was never consumed never emits 'close', so it (and everything the request held)
      // would stay in memory. Drain it.
      res.once('finish', () => {
        if (!req.readableEnded) req.resume();
      });
      listener(req, res);
    },
  );
  h2.setTimeout(H2_IDLE_MS);
  const sessions = new Set<Http2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    // A connection that never opens a stream is dropped, as HTTP/1.1 drops one that never sends headers.
    const firstStream = setTimeout(() => session.destroy(), limits.headersTimeoutMs);
    session.once('stream', () => clearTimeout(firstStream));
    session.once('close', () => {
      clearTimeout(firstStream);
      sessions.delete(session);
    });
  });
  h2.on('stream', (stream) => {
    // A stream still sending its request when the time is up (a slow-loris body) is cancelled;
    // one already answering (a reflection stream) is left alone.
    const timer = setTimeout(() => {
      if (!stream.closed && (!stream.headersSent || stream.writableFinished))
        stream.close(h2constants.NGHTTP2_CANCEL);
    }, limits.requestTimeoutMs);
    stream.once('close', () => clearTimeout(timer));
  });
  const toH2 = (socket: Socket) => h2.emit('connection', socket);

  const sniffing = new Set<Socket>();
  let server: Server;
  if (options.tls) {
    server = createHttpsServer(
      { ...secureOptions(options.tls), ALPNProtocols: ['h2', 'http/1.1'] },
      h1Handler,
    );
    divert(server, 'secureConnection', (socket, h1) =>
      (socket as TLSSocket).alpnProtocol === 'h2' ? toH2(socket) : h1(),
    );
  } else {
    server = createHttpServer(h1Handler);
    divert(server, 'connection', (socket, h1) => sniffPreface(socket, sniffing, toH2, h1));
  }

  // A client that half-closes right after its request still gets the answer (Node's default aborts
  // it at the FIN, read before answers that await an fsync or PostgreSQL); the socket ends after.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    reloadTls(tls) {
      if (!(server instanceof HttpsServer)) throw new Error('this listener does not serve TLS');
      // createSecureContext throws on a mismatched pair or a bad cipher list before anything changes.
      createSecureContext(secureOptions(tls));
      server.setSecureContext(secureOptions(tls));
    },
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        // Open reflection streams end with UNAVAILABLE (rpc-listener); unary calls in flight finish.
        shutdown.abort();
        const timer = setTimeout(() => {
          server.closeAllConnections();
          for (const session of sessions) session.destroy();
        }, graceMs);
        // Resolves once every connection is gone, HTTP/2 ones included (same listening socket).
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
        for (const socket of sniffing) socket.destroy();
        // GOAWAY: no new streams, open ones run to completion.
        for (const session of sessions) session.close();
      });
    },
  };
}
