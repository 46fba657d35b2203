import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ServiceImpl } from '@connectrpc/connect';
import { GrpcCode } from '@dodil/shared';
import { ServerReflectionResponseSchema as ResponseV1 } from '../gen/grpc/reflection/v1/reflection_pb';
import type { ServerReflection as ReflectionV1 } from '../gen/grpc/reflection/v1/reflection_pb';
import { ServerReflectionResponseSchema as ResponseV1alpha } from '../gen/grpc/reflection/v1alpha/reflection_pb';
import type { ServerReflection as ReflectionV1alpha } from '../gen/grpc/reflection/v1alpha/reflection_pb';
import type { DescriptorIndex } from './descriptor-index';
import { filePath } from './descriptor-index';

/** A reflection query (the `message_request` oneof, identical in v1 and v1alpha). */
export type ReflectionQuery =
  | { case: 'fileByFilename'; value: string }
  | { case: 'fileContainingSymbol'; value: string }
  | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
  | { case: 'allExtensionNumbersOfType'; value: string }
  | { case: 'listServices'; value: string }
  | { case: undefined; value?: undefined };

/** A reflection answer (the `message_response` oneof). */
export type ReflectionAnswer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'allExtensionNumbersResponse'; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

const notFound = (what: string): ReflectionAnswer => ({
  case: 'errorResponse',
  value: { errorCode: GrpcCode.NOT_FOUND, errorMessage: `${what} not found` },
});

/**
 * Answers the queries of one ServerReflectionInfo stream. Files already sent
 * on the stream are not sent again as dependencies, as the protocol allows,
 * so a client walking many symbols gets descriptor.proto once.
 */
export function createReflectionSession(
  index: DescriptorIndex,
): (query: ReflectionQuery) => ReflectionAnswer {
  const sent = new Set<string>();

  function files(path: string | undefined, what: string): ReflectionAnswer {
    const file = path === undefined ? undefined : index.fileByPath(path);
    if (file === undefined) return notFound(what);
    const out = index.withDependencies(file, sent);
    for (const f of out) sent.add(filePath(f));
    return {
      case: 'fileDescriptorResponse',
      value: { fileDescriptorProto: out.map((f) => index.serialized(f)) },
    };
  }

  return (query) => {
    switch (query.case) {
      case 'listServices':
        return {
          case: 'listServicesResponse',
          value: { service: index.serviceNames.map((name) => ({ name })) },
        };
      case 'fileByFilename':
        return files(query.value, `file ${query.value}`);
      case 'fileContainingSymbol':
        return files(index.fileBySymbol(query.value)?.proto.name, `symbol ${query.value}`);
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = query.value;
        const file = index.fileByExtension(containingType, extensionNumber);
        return files(file?.proto.name, `extension ${extensionNumber} of ${containingType}`);
      }
      case 'allExtensionNumbersOfType': {
        const numbers = index.extensionNumbersOf(query.value);
        if (numbers === undefined) return notFound(`type ${query.value}`);
        return {
          case: 'allExtensionNumbersResponse',
          value: { baseTypeName: query.value, extensionNumber: numbers },
        };
      }
      default:
        return {
          case: 'errorResponse',
          value: { errorCode: GrpcCode.INVALID_ARGUMENT, errorMessage: 'set one field of message_request' },
        };
    }
  };
}

/**
 * The requests of a stream until the call is aborted (client gone, deadline,
 * server shutdown), then the abort reason as a status. A reflection stream
 * waits on its client most of the time; without this, shutdown would wait for
 * every idle grpcurl session to hang up by itself.
 */
async function* untilAborted<T>(requests: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = requests[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(ConnectError.from(signal.reason, Code.Unavailable));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // The race below observes it; this keeps an unobserved rejection quiet.
  aborted.catch(() => {});
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** grpc.reflection.v1.ServerReflection over `index`. */
export function reflectionV1(index: DescriptorIndex): ServiceImpl<typeof ReflectionV1> {
  return {
    async *serverReflectionInfo(requests, ctx) {
      const answer = createReflectionSession(index);
      for await (const req of untilAborted(requests, ctx.signal)) {
        yield create(ResponseV1, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer(req.messageRequest),
        });
      }
    },
  };
}

/** grpc.reflection.v1alpha.ServerReflection over `index` (older clients, grpcurl before 1.9). */
export function reflectionV1alpha(index: DescriptorIndex): ServiceImpl<typeof ReflectionV1alpha> {
  return {
    async *serverReflectionInfo(requests, ctx) {
      const answer = createReflectionSession(index);
      for await (const req of untilAborted(requests, ctx.signal)) {
        yield create(ResponseV1alpha, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer(req.messageRequest),
        });
      }
    },
  };
}
