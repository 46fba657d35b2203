import { getSystemErrorName } from 'node:util';

/** What a connection reports: `connect` once, `data` per chunk, then `end` or `error` once. */
export interface ConnectionEvents {
  connect(): void;
  data(chunk: Buffer): void;
  end(): void;
  error(code: string, message: string): void;
}

/** One open (or opening) connection. */
export interface Connection {
  write(bytes: Buffer): void;
  destroy(): void;
}

// The shapes of node's own TCP handle (what net.Socket wraps), as far as used here.
interface TcpHandle {
  connect(req: object, address: string, port: number): number;
  connect6(req: object, address: string, port: number): number;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: object, bytes: Buffer): number;
  close(callback?: () => void): void;
  onread: ((buffer: ArrayBuffer) => void) | undefined;
}
interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete?: (status: number) => void };
  WriteWrap: new () => { handle?: TcpHandle; oncomplete?: (status: number) => void };
  socketType: number;
  state: Int32Array;
  readBytesOrError: number;
  arrayBufferOffset: number;
}

let cached: Bindings | null | undefined;

/**
 * Node's TCP handle straight from its bindings (`process.binding('tcp_wrap')`,
 * the handle `net.Socket` is built on), or null where that is not available
 * or not wanted. `require('node:net')` loads node's whole stream stack (~20
 * internal modules) and a `net.Socket` initialises it: ~4-6 ms of CPU in a
 * fresh process, more than the rest of a git credential request (measured,
 * docs/performance.md "Helper start"); the handle alone costs ~0.5 ms.
 *
 * `process.binding` is deprecated (DEP0111, documentation-only), so this is
 * used with care: only when every piece has the expected shape, only on the
 * node major it was checked on (any surprise means null, and the caller uses
 * `node:net`), and main.ts does not ask for it under `--pending-deprecation`
 * (see {@link pendingDeprecation}). The single executable
 * embeds one known node, where the e2e suite runs this path.
 */
export function rawTcp(): Bindings | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const binding = (process as { binding?: (name: string) => unknown }).binding;
    // The node major the handle's shape was checked on (the single executable's); another one
    // takes node:net until it has been checked there too.
    const tested = process.versions.node.startsWith('20.');
    if (typeof binding !== 'function' || !tested) return null;
    const tcp = binding('tcp_wrap') as Record<string, unknown>;
    const stream = binding('stream_wrap') as Record<string, unknown>;
    const constants = tcp.constants as Record<string, unknown> | undefined;
    const state = stream.streamBaseState;
    if (
      typeof tcp.TCP !== 'function' ||
      typeof tcp.TCPConnectWrap !== 'function' ||
      typeof stream.WriteWrap !== 'function' ||
      typeof constants?.SOCKET !== 'number' ||
      !(state instanceof Int32Array) ||
      typeof stream.kReadBytesOrError !== 'number' ||
      typeof stream.kArrayBufferOffset !== 'number'
    )
      return null;
    cached = {
      TCP: tcp.TCP as Bindings['TCP'],
      TCPConnectWrap: tcp.TCPConnectWrap as Bindings['TCPConnectWrap'],
      WriteWrap: stream.WriteWrap as Bindings['WriteWrap'],
      socketType: constants.SOCKET,
      state,
      readBytesOrError: stream.kReadBytesOrError,
      arrayBufferOffset: stream.kArrayBufferOffset,
    };
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Whether node runs with `--pending-deprecation` (flag, NODE_OPTIONS or
 * NODE_PENDING_DEPRECATION=1): then `process.binding` prints a warning on every
 * run, so the TCP handle is not used.
 */
export function pendingDeprecation(
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return (
    execArgv.includes('--pending-deprecation') ||
    /(^|\s)--pending-deprecation\b/.test(env.NODE_OPTIONS ?? '') ||
    env.NODE_PENDING_DEPRECATION === '1'
  );
}

/** An IPv4 or IPv6 literal (brackets removed): the raw handle connects to addresses only, names go through node:net's lookup. */
export function isIpLiteral(host: string): boolean {
  if (host.includes(':')) return /^[0-9a-fA-F:.]+$/.test(host);
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return parts !== null && parts.slice(1).every((p) => Number(p) <= 255);
}

const errorName = (status: number) => {
  try {
    return getSystemErrorName(status);
  } catch {
    return `error ${status}`;
  }
};

/**
 * Opens a plain TCP connection to an IP literal on node's raw handle and reports
 * through `events`. Only where {@link rawTcp} is not null.
 */
export function rawTcpConnect(host: string, port: number, events: ConnectionEvents): Connection {
  const b = rawTcp();
  if (b === null) throw new Error('node TCP handle not available');
  const handle = new b.TCP(b.socketType);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    handle.readStop();
    handle.close();
  };
  const fail = (status: number, what: string) => {
    close();
    const code = errorName(status);
    events.error(code, `${what} ${code}`);
  };
  handle.onread = (buffer) => {
    const nread = b.state[b.readBytesOrError] ?? 0;
    if (nread > 0) {
      events.data(Buffer.from(buffer, b.state[b.arrayBufferOffset] ?? 0, nread));
    } else if (nread < 0) {
      if (errorName(nread) === 'EOF') {
        close();
        events.end();
      } else {
        fail(nread, 'read');
      }
    }
  };
  const connectReq = new b.TCPConnectWrap();
  connectReq.oncomplete = (status) => {
    if (closed) return;
    if (status < 0) {
      fail(status, 'connect');
      return;
    }
    const started = handle.readStart();
    if (started < 0) {
      fail(started, 'read');
      return;
    }
    events.connect();
  };
  const status = host.includes(':')
    ? handle.connect6(connectReq, host, port)
    : handle.connect(connectReq, host, port);
  // Reported like a late failure, after the caller has its Connection.
  if (status < 0) queueMicrotask(() => fail(status, 'connect'));
  return {
    write(bytes) {
      if (closed) return;
      const req = new b.WriteWrap();
      req.handle = handle;
      // A write the kernel could not take at once completes later; `req` stays referenced here.
      req.oncomplete = (result) => {
        if (result < 0 && !closed) fail(result, 'write');
      };
      const result = handle.writeBuffer(req, bytes);
      if (result < 0) fail(result, 'write');
    },
    destroy: close,
  };
}

/**
 * The addresses `localhost` names, in the order tried: loopback always (RFC 6761 section 6.3),
 * so no resolver, and no node:net for its lookup (~14 ms of CPU per request, measured).
 */
export const LOCALHOST: readonly string[] = ['127.0.0.1', '::1'];

// Failures that say "not at this address": the next one is tried (nothing was sent yet).
const NOT_HERE = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENETUNREACH']);

/**
 * {@link rawTcpConnect} over `addresses` in turn: a connection refused before it was open moves
 * on to the next address; the last failure is the one reported.
 */
export function rawTcpConnectFirst(
  addresses: readonly string[],
  port: number,
  events: ConnectionEvents,
): Connection {
  let index = 0;
  let connected = false;
  const attempt = (): Connection =>
    rawTcpConnect(addresses[index] ?? '', port, {
      ...events,
      connect: () => {
        connected = true;
        events.connect();
      },
      error: (code, message) => {
        if (!connected && index < addresses.length - 1 && NOT_HERE.has(code)) {
          index++;
          current = attempt();
          return;
        }
        events.error(code, message);
      },
    });
  let current = attempt();
  return { write: (bytes) => current.write(bytes), destroy: () => current.destroy() };
}
