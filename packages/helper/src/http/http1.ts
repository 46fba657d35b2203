import type { HttpResponse } from './transport';

/**
 * Parses a complete HTTP/1.x response read until the server closed the
 * connection: status line, headers, then a body framed by
 * `Transfer-Encoding: chunked`, `Content-Length`, or the end of the stream.
 * Throws on anything malformed.
 */
export function parseHttpResponse(raw: Buffer): HttpResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('no complete header block');
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!status) throw new Error('not an HTTP/1.x status line');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('malformed header line');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
    body = dechunk(body);
  } else if (headers.has('content-length')) {
    const length = headers.get('content-length') ?? '';
    if (!/^\d{1,12}$/.test(length)) throw new Error('bad Content-Length');
    if (body.length < Number(length)) throw new Error('body shorter than Content-Length');
    body = body.subarray(0, Number(length));
  }
  return { status: Number(status[1]), body: body.toString('utf8') };
}

/**
 * The total length of a response framed by one `Content-Length` (header block
 * included), once its header block has arrived; undefined before that, and
 * null for any other framing (chunked, to the end of the stream, or an unusual
 * header), which only the server's close ends. Lets the client stop at the last
 * byte instead of waiting for the server's FIN: that arrives only after the
 * server's event loop gets round to closing the socket.
 */
export function framedLength(raw: Buffer): number | null | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = raw.subarray(0, headEnd).toString('latin1');
  if (!/^HTTP\/1\.[01] [2-5]\d\d/.test(head) || /\r\ntransfer-encoding\s*:/i.test(head)) return null;
  const lengths = [...head.matchAll(/\r\ncontent-length[ \t]*:[ \t]*([^\r]*)/gi)];
  const value = lengths[0]?.[1]?.trim() ?? '';
  if (lengths.length !== 1 || !/^\d{1,12}$/.test(value)) return null;
  return headEnd + 4 + Number(value);
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('truncated chunk size');
    const sizeText = data.subarray(at, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error('bad chunk size');
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    if (at + size + 2 > data.length) throw new Error('truncated chunk');
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}
