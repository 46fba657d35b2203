import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import { decodeOrKeep, specPercentEncode } from './grpc-message';

/*
 * Connect answers a request it can't decode before any handler of ours runs,
 * with protobuf-es's or V8's own text. That text quotes input: `expected
 * object, got "ghp_…"` for a token sent where an object belongs, or a snippet
 * of a malformed body. No value may come back in an error message, so the
 * detail is cut down to what names the rule broken.
 * test/rpc/connect-messages.test.ts pins the library text matched here.
 */

const DECODE = /^cannot decode (field|message|oneof) ([\w.]+) from JSON: (.*)$/s;

/**
 * connect-es reports a protobuf body it cannot parse as INTERNAL with this
 * fixed prefix (its JSON failures are INVALID_ARGUMENT). It is the caller's
 * fault, so we answer INVALID_ARGUMENT; the prefix is the only marker the
 * library leaves, since the code is the same as a real internal error.
 */
const BINARY_DECODE_FAILURE = /^parse binary: /;

/** What a caller is told about a protobuf body that does not parse. */
export const MALFORMED_PROTOBUF = 'malformed protobuf message';

/** True for connect-es's "could not parse the binary request" failure. */
export function isBinaryDecodeFailure(
  code: string | null | undefined,
  message: string | null | undefined,
): boolean {
  return (code === 'internal' || code === '13') && BINARY_DECODE_FAILURE.test(message ?? '');
}

function safeDetail(detail: string): string {
  const expected = /^expected (\w+)/.exec(detail);
  if (expected) return `expected ${expected[1] ?? 'another type'}`;
  if (/^key "[\w.-]{1,64}" is unknown$/.test(detail)) return detail;
  if (/^oneof set multiple times by \w+ and \w+$/.test(detail)) return detail;
  if (/^(set multiple times|unexpected NaN number|unexpected infinite number)$/.test(detail)) return detail;
  return 'malformed JSON';
}

/** A decoder's error message with anything quoted from the input removed. */
export function sanitizeDecodeMessage(message: string): string {
  const m = DECODE.exec(message);
  if (m !== null) return `cannot decode ${m[1] ?? ''} ${m[2] ?? ''} from JSON: ${safeDetail(m[3] ?? '')}`;
  // V8's own JSON.parse text quotes a piece of the body ("Unexpected token … is not valid JSON").
  if (/not valid JSON|Unexpected (token|end)|JSON at position/.test(message)) return 'malformed JSON';
  return message;
}

/**
 * The one rule for a status given before our handler ran, whatever the
 * protocol: a binary body that failed to parse is INVALID_ARGUMENT, and
 * decoder text loses anything quoted from the input.
 */
export function safeStatus(
  code: string | null | undefined,
  message: string,
): { invalidArgument: boolean; message: string } {
  if (isBinaryDecodeFailure(code, message)) return { invalidArgument: true, message: MALFORMED_PROTOBUF };
  return { invalidArgument: false, message: sanitizeDecodeMessage(message) };
}

async function readAll(body: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const once = (bytes: Uint8Array) =>
  (async function* () {
    yield bytes;
  })();

/**
 * A gRPC-Web answer given before our handler ran is one trailer frame
 * (flag 0x80, length, `key: value` lines), rewritten by {@link safeStatus}.
 * Unary only: the whole (small) answer is read.
 */
async function reclassifyGrpcWebTrailer(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.body === undefined) return res;
  const bytes = await readAll(res.body, 16 * 1024);
  if (bytes === undefined) return { ...res, body: undefined };
  const first = bytes[0] ?? 0;
  if (bytes.length < 5 || (first & 0x80) === 0) return { ...res, body: once(bytes) };
  const text = Buffer.from(bytes.subarray(5)).toString('latin1');
  const status = /(?:^|\r\n)grpc-status:\s*(\d+)/i.exec(text)?.[1];
  const message = /(?:^|\r\n)grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1];
  if (status === undefined || message === undefined) return { ...res, body: once(bytes) };
  const safe = safeStatus(status, decodeOrKeep(message));
  const lines = Buffer.from(
    `grpc-status: ${safe.invalidArgument ? '3' : status}\r\ngrpc-message: ${specPercentEncode(safe.message)}\r\n`,
    'latin1',
  );
  const frame = Buffer.alloc(5 + lines.length);
  frame[0] = 0x80;
  frame.writeUInt32BE(lines.length, 1);
  lines.copy(frame, 5);
  const header = new Headers(res.header);
  header.delete('content-length');
  return { ...res, header, body: once(frame) };
}

/**
 * A gRPC answer given before our handler ran: its status trailer (set while
 * the body is written) is made safe once the body is done.
 */
function safeGrpcTrailer(res: UniversalServerResponse): UniversalServerResponse {
  const trailer = res.trailer;
  const body = res.body;
  if (trailer === undefined || body === undefined) return res;
  return {
    ...res,
    body: (async function* () {
      try {
        yield* body;
      } finally {
        const message = trailer.get('grpc-message');
        if (message !== null) {
          const safe = safeStatus(trailer.get('grpc-status'), decodeOrKeep(message));
          if (safe.invalidArgument) trailer.set('grpc-status', '3');
          trailer.set('grpc-message', safe.message);
        }
      }
    })(),
  };
}

/** A Connect unary error (HTTP status ≥ 400, JSON error body) made safe. */
async function safeConnectError(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status < 400 || res.body === undefined) return res;
  if (res.header?.get('content-type')?.startsWith('application/json') !== true) return res;
  // An error body is a few hundred bytes; anything bigger isn't one of these.
  const bytes = await readAll(res.body, 16 * 1024);
  if (bytes === undefined) return { ...res, body: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ...res, body: once(bytes) };
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('message' in parsed) ||
    typeof parsed.message !== 'string'
  ) {
    return { ...res, body: once(bytes) };
  }
  const code = 'code' in parsed && typeof parsed.code === 'string' ? parsed.code : undefined;
  const safe = safeStatus(code, parsed.message);
  const answer = safe.invalidArgument
    ? { code: 'invalid_argument', message: safe.message }
    : { ...parsed, message: safe.message };
  const out = Buffer.from(JSON.stringify(answer), 'utf8');
  const header = new Headers(res.header);
  header.set('content-length', String(out.byteLength));
  return { ...res, ...(safe.invalidArgument ? { status: 400 } : {}), header, body: once(out) };
}

/**
 * A unary answer given before our handler ran (a body connect-es could not
 * decode), made safe by {@link safeStatus} on every protocol: the Connect
 * error body, the gRPC status trailer, and the gRPC-Web trailer frame.
 */
export async function sanitizePreHandlerAnswer(
  res: UniversalServerResponse,
): Promise<UniversalServerResponse> {
  const type = res.header?.get('content-type') ?? '';
  if (type.startsWith('application/grpc-web')) return reclassifyGrpcWebTrailer(res);
  if (type.startsWith('application/grpc')) return safeGrpcTrailer(res);
  return safeConnectError(res);
}
