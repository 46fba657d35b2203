import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalServerRequest } from '@connectrpc/connect/protocol';

/**
 * Caps the raw request body of a unary RPC at `maxBytes`, failing with
 * INVALID_ARGUMENT, SPEC §2's code for a body over 64 KiB (REST answers the
 * same code with HTTP 413).
 *
 * Why not just connect's `readMaxBytes`: it fails with RESOURCE_EXHAUSTED, and
 * when it trips mid-body it destroys the request stream, which on HTTP/1.1
 * takes the socket down before the error reaches the caller. Here the
 * declared Content-Length is checked before a byte is read, the hint is
 * removed so connect streams the body through the counter, and an overflow
 * throws without destroying the source, so the status is still delivered.
 * `readMaxBytes` stays set as the backstop for decompressed sizes.
 */
export function limitRequestBody(req: UniversalServerRequest, maxBytes: number): UniversalServerRequest {
  const body = req.body;
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) return req;
  const declared = Number(req.header.get('content-length') ?? '');
  const header = new Headers(req.header);
  header.delete('content-length');
  const tooLarge = () => new ConnectError(`request body larger than ${maxBytes / 1024} KiB`, Code.InvalidArgument);
  const source = body;
  const limited: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let total = 0;
      return {
        async next() {
          if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
          const r = await it.next();
          if (r.done === true) return r;
          total += r.value.byteLength;
          if (total > maxBytes) throw tooLarge();
          return r;
        },
        async return(value?: unknown) {
          await it.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { ...req, header, body: limited };
}
