/** One HTTP request to the server, as the API client builds it. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Give up when no TCP (or TLS) connection exists after this long. */
  connectTimeoutMs: number;
  /** Give up when the whole exchange takes longer than this. */
  timeoutMs: number;
  /** PEM certificates trusted in addition to the system CAs (https only). */
  ca?: string;
}

/** The server's answer: status and the body as text. */
export interface HttpResponse {
  status: number;
  body: string;
}

/** What a transport failure was; the API client turns it into a gRPC code. */
export type TransportFailure = 'unreachable' | 'timeout' | 'protocol';

// A registered symbol rather than `instanceof`: the transport comes from the
// hot bundle, the API client may be the cold bundle's copy (see build.mjs),
// which shares this module with the hot part; the brand stays as a backstop.
const BRAND = Symbol.for('dodil.transport-error');

/** A request that produced no HTTP response. The message never contains the request's headers. */
export class TransportError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly failure: TransportFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Sends one request. The real one is {@link nodeTransport}; tests may pass their own. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** True for a {@link TransportError} from either bundle. */
export function isTransportError(error: unknown): error is TransportError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
