import type { UniversalServerResponse } from '@connectrpc/connect/protocol';

/**
 * `grpc-message` percent-encoded as the gRPC HTTP/2 spec says: only bytes
 * outside printable ASCII, and `%` itself. connect-es uses
 * encodeURIComponent, which also escapes `:`, `,` and the like; clients that
 * decode with decodeURI (@grpc/grpc-js) then show `name%3A …` to the user.
 */
export function specPercentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `decodeURIComponent`, or the text itself when it is not valid percent-encoding. */
export function decodeOrKeep(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A gRPC response whose `grpc-message` trailer is re-encoded once the body
 * is done (connect sets the trailer while the body is being written, and the
 * Node adapter sends trailers after it).
 */
export function withSpecGrpcMessage(res: UniversalServerResponse): UniversalServerResponse {
  const trailer = res.trailer;
  const body = res.body;
  if (trailer === undefined || body === undefined) return res;
  const reencode = () => {
    const message = trailer.get('grpc-message');
    if (message === null) return;
    trailer.set('grpc-message', specPercentEncode(decodeOrKeep(message)));
  };
  return {
    ...res,
    body: (async function* () {
      try {
        yield* body;
      } finally {
        reencode();
      }
    })(),
  };
}
