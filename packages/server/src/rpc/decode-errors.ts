import type { UniversalServerResponse } from '@connectrpc/connect/protocol';

/*
 * Connect answers a request it can't decode before any handler of ours runs,
 * with protobuf-es's or V8's own text. That text quotes input: `expected
 * object, got "ghp_…"` for a token sent where an object belongs, or a snippet
 * of a malformed body. No value may come back in an error message, so the
 * detail is cut down to what names the rule broken.
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
export function isBinaryDecodeFailure(code: string | null | undefined, message: string | null | undefined): boolean {
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
  if (m === null) return message;
  return `cannot decode ${m[1] ?? ''} ${m[2] ?? ''} from JSON: ${safeDetail(m[3] ?? '')}`;
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

const once = (bytes: Uint8Array) => (async function* () { yield bytes; })();

/**
 * A gRPC-Web answer given before our handler ran is one trailer frame
 * (flag 0x80, length, `key: value` lines); a protobuf body that failed to
 * parse is reclassified there as INVALID_ARGUMENT, as for gRPC and Connect.
 */
async function reclassifyGrpcWebTrailer(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.body === undefined) return res;
  const bytes = await readAll(res.body, 16 * 1024);
  if (bytes === undefined) return { ...res, body: undefined };
  const first = bytes[0] ?? 0;
  if (bytes.length < 5 || (first & 0x80) === 0) return { ...res, body: once(bytes) };
  const text = Buffer.from(bytes.subarray(5)).toString('latin1');
  const status = /(?:^|\r\n)grpc-status:\s*(\d+)/i.exec(text)?.[1];
  const message = /(?:^|\r\n)grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1] ?? '';
  let decoded = message;
  try {
    decoded = decodeURIComponent(message);
  } catch {
    // keep the raw text
  }
  if (!isBinaryDecodeFailure(status, decoded)) return { ...res, body: once(bytes) };
  const lines = Buffer.from(`grpc-status: 3\r\ngrpc-message: ${MALFORMED_PROTOBUF}\r\n`, 'latin1');
  const frame = Buffer.alloc(5 + lines.length);
  frame[0] = 0x80;
  frame.writeUInt32BE(lines.length, 1);
  lines.copy(frame, 5);
  const header = new Headers(res.header);
  header.delete('content-length');
  return { ...res, header, body: once(frame) };
}

/**
 * An answer given before our handler ran, made safe: a Connect unary error
 * (HTTP status ≥ 400, JSON error body) has its message sanitized, and a
 * protobuf body that failed to parse becomes INVALID_ARGUMENT on Connect and
 * gRPC-Web (gRPC's trailers are handled in grpc-message.ts). gRPC and
 * gRPC-Web carry protobuf binary in practice, whose decoder never quotes values.
 */
export async function sanitizeConnectError(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.header?.get('content-type')?.startsWith('application/grpc-web') === true) return reclassifyGrpcWebTrailer(res);
  if (res.status < 400 || res.body === undefined) return res;
  if (res.header?.get('content-type')?.startsWith('application/json') !== true) return res;
  // An error body is a few hundred bytes; anything bigger isn't one of these.
  const bytes = await readAll(res.body, 16 * 1024);
  if (bytes === undefined) return { ...res, body: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ...res, body: (async function* () { yield bytes; })() };
  }
  if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') {
    if ('code' in parsed && typeof parsed.code === 'string' && isBinaryDecodeFailure(parsed.code, parsed.message)) {
      const out = Buffer.from(JSON.stringify({ code: 'invalid_argument', message: MALFORMED_PROTOBUF }), 'utf8');
      const header = new Headers(res.header);
      header.set('content-length', String(out.byteLength));
      return { ...res, status: 400, header, body: once(out) };
    }
    const out = Buffer.from(JSON.stringify({ ...parsed, message: sanitizeDecodeMessage(parsed.message) }), 'utf8');
    const header = new Headers(res.header);
    header.set('content-length', String(out.byteLength));
    return { ...res, header, body: (async function* () { yield out; })() };
  }
  return { ...res, body: (async function* () { yield bytes; })() };
}
