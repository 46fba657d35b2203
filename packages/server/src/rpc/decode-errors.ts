import type { UniversalServerResponse } from '@connectrpc/connect/protocol';

/*
 * Connect answers a request it can't decode before any handler of ours runs,
 * with protobuf-es's or V8's own text. That text quotes input: `expected
 * object, got "ghp_…"` for a token sent where an object belongs, or a snippet
 * of a malformed body. No value may come back in an error message, so the
 * detail is cut down to what names the rule broken.
 */

const DECODE = /^cannot decode (field|message|oneof) ([\w.]+) from JSON: (.*)$/s;

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

/**
 * A Connect unary error response (HTTP status ≥ 400, JSON error body) with
 * its message sanitized; other responses pass unchanged. gRPC and gRPC-Web
 * carry protobuf binary in practice, whose decoder never quotes values.
 */
export async function sanitizeConnectError(res: UniversalServerResponse): Promise<UniversalServerResponse> {
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
    const out = Buffer.from(JSON.stringify({ ...parsed, message: sanitizeDecodeMessage(parsed.message) }), 'utf8');
    const header = new Headers(res.header);
    header.set('content-length', String(out.byteLength));
    return { ...res, header, body: (async function* () { yield out; })() };
  }
  return { ...res, body: (async function* () { yield bytes; })() };
}
