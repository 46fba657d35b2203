import { bodyTooLarge } from '../errors/app-error';
import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalServerRequest } from '@connectrpc/connect/protocol';

/** gRPC and gRPC-Web (binary) bodies are enveloped: 1 flag byte, 4 bytes of big-endian length. */
const ENVELOPED = /^application\/grpc(-web)?(\+[\w.-]+)?(;|$)/i;
const ENVELOPE_HEADER = 5;

/**
 * Caps the raw request body of a unary RPC at `maxBytes`, failing with
 * INVALID_ARGUMENT, the code docs/contract.md#errors gives a body over 64 KiB (REST answers the
 * same code with HTTP 413).
 *
 * Why not just connect's `readMaxBytes`: it fails with RESOURCE_EXHAUSTED, and
 * when it trips mid-body it destroys the request stream, which on HTTP/1.1
 * takes the socket down before the error reaches the caller. So this runs
 * first: it refuses a declared Content-Length or gRPC envelope length over the
 * cap before reading the payload, removes the Content-Length hint so connect
 * streams the body through the counter, and throws on overflow without
 * destroying the source, so the status is still delivered. `readMaxBytes`
 * stays set, as the backstop for decompressed sizes.
 */
export function limitRequestBody(req: UniversalServerRequest, maxBytes: number): UniversalServerRequest {
  const body = req.body;
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) return req;
  const declared = Number(req.header.get('content-length') ?? '');
  const enveloped = ENVELOPED.test(req.header.get('content-type') ?? '');
  const header = new Headers(req.header);
  header.delete('content-length');
  const tooLarge = () => new ConnectError(bodyTooLarge(maxBytes).message, Code.InvalidArgument);
  const source = body;

  const limited: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let total = 0;
      let prefix = Buffer.alloc(0);
      return {
        async next() {
          if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
          const r = await it.next();
          if (r.done === true) return r;
          total += r.value.byteLength;
          if (total > maxBytes) throw tooLarge();
          if (enveloped && prefix.length < ENVELOPE_HEADER) {
            prefix = Buffer.concat([prefix, r.value]).subarray(0, ENVELOPE_HEADER);
            if (prefix.length === ENVELOPE_HEADER && ENVELOPE_HEADER + prefix.readUInt32BE(1) > maxBytes)
              throw tooLarge();
          }
          return r;
        },
        async return() {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { ...req, header, body: limited };
}
