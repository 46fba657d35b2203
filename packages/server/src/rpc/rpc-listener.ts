import { randomUUID } from 'node:crypto';
import { Code, ConnectError, createConnectRouter, createContextValues } from '@connectrpc/connect';
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from '@connectrpc/connect/protocol';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import type { ConnectNodeAdapterOptions } from '@connectrpc/connect-node';
import { LIMITS, grpcCodeForHttpStatus, grpcCodeName } from '@dodil/shared';
import { SecretService } from '../gen/dodil/ignite/v1/secret_pb';
import { ServerReflection as ReflectionV1 } from '../gen/grpc/reflection/v1/reflection_pb';
import { ServerReflection as ReflectionV1alpha } from '../gen/grpc/reflection/v1alpha/reflection_pb';
import { createAccessLog } from '../edge/access-log';
import { socketClientAddress } from '../edge/client-address';
import type { ClientAddressOf } from '../edge/client-address';
import type { Logger } from '../edge/logger';
import { acceptRequestId } from '../edge/request-id';
import { limitRequestBody } from './body-limit';
import { withCallInfo } from './call-info';
import { AppError } from '../errors/app-error';
import { authenticateHeaders, authorizationOf, refusedBeforeBody } from './header-auth';
import { sanitizePreHandlerAnswer } from './decode-errors';
import { withSpecGrpcMessage } from './grpc-message';
import type { RpcCallInfo } from './call-info';
import { indexDescriptors } from './descriptor-index';
import { reflectionV1, reflectionV1alpha } from './reflection-service';
import { errorMappingInterceptor } from './rpc-errors';
import { createSecretRpcService } from './secret-rpc-service';
import type { SecretRpcDeps } from './secret-rpc-service';

const SECRET_SERVICE_PREFIX = `/${SecretService.typeName}/`;

/** A Node request listener for http and http2 servers (connect-node's NodeHandlerFn). */
export type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions['fallback']>;

/** What the RPC side is built from: the REST app's services and plumbing, shared. */
export interface RpcDeps extends SecretRpcDeps {
  logger: Logger;
  /** High-resolution clock for durations (ms). */
  now?: () => number;
  newRequestId?: () => string;
  /** The REST app's peer-address function, so throttling keys match across protocols. */
  clientAddressOf?: ClientAddressOf;
  /** Aborting it ends open reflection streams (server shutdown). */
  shutdownSignal?: AbortSignal;
}

/** A signal that aborts with UNAVAILABLE when `signal` aborts (what open streams end with at shutdown). */
function unavailableOnAbort(signal: AbortSignal): AbortSignal {
  const unavailable = new AbortController();
  const abort = () => unavailable.abort(new ConnectError('server is shutting down', Code.Unavailable));
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return unavailable.signal;
}

function protocolOf(contentType: string | undefined): 'grpc' | 'grpc-web' | 'connect' {
  if (contentType?.startsWith('application/grpc-web') === true) return 'grpc-web';
  if (contentType?.startsWith('application/grpc') === true) return 'grpc';
  return 'connect';
}

function outcome(info: RpcCallInfo, res: UniversalServerResponse | undefined): string {
  if (info.code !== undefined) return info.code;
  // Failed before a handler ran (unsupported type, bad envelope, body limit).
  const status = res?.trailer?.get('grpc-status') ?? res?.header?.get('grpc-status');
  if (status !== undefined && status !== null) return grpcCodeName(Number(status));
  if (res === undefined) return 'UNKNOWN';
  return res.status === 200 ? 'UNKNOWN' : grpcCodeForHttpStatus(res.status);
}

/**
 * The RPC side of the port: dodil.ignite.v1.SecretService and gRPC server
 * reflection (v1, v1alpha) over gRPC, gRPC-Web and Connect (JSON and
 * binary). Requests for any other path go to `fallback` (the REST app).
 *
 * This is connect-node's `connectNodeAdapter` plus what we need around each
 * call: the 64 KiB body cap with the contract's code, a request id echoed as
 * `x-request-id`, the peer address the REST app would see, one access-log line
 * per call, and failures logged through our logger rather than the console.
 */
export function createRpcListener(deps: RpcDeps, fallback: NodeHandlerFn): NodeHandlerFn {
  const newRequestId = deps.newRequestId ?? randomUUID;
  const clientAddressOf = deps.clientAddressOf ?? socketClientAddress;
  const accessLog = createAccessLog(deps.logger, deps.now ?? (() => performance.now()));
  const index = indexDescriptors([SecretService, ReflectionV1, ReflectionV1alpha]);

  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    // Per message, after decompression: the backstop behind limitRequestBody.
    readMaxBytes: LIMITS.bodyBytes,
    // REST refuses unknown fields; Connect JSON does the same (binary keeps proto's rules).
    jsonOptions: { ignoreUnknownFields: false },
  });
  // Shutdown ends the long-lived reflection streams; unary calls in flight just finish.
  const streams = deps.shutdownSignal ? { shutdownSignal: unavailableOnAbort(deps.shutdownSignal) } : {};
  router
    .service(SecretService, createSecretRpcService(deps), {
      interceptors: [errorMappingInterceptor(deps.logger)],
    })
    .service(ReflectionV1, reflectionV1(index), streams)
    .service(ReflectionV1alpha, reflectionV1alpha(index), streams);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

  // As the error-mapping interceptor does: an unexpected failure's details go to the log only.
  const asAppError = (error: unknown, requestId: string): AppError => {
    if (error instanceof AppError) return error;
    const e = error instanceof Error ? error : new Error(String(error));
    deps.logger.error({ msg: 'unhandled error', requestId, error: e.name, detail: e.message });
    return new AppError('INTERNAL', `internal error (request id ${requestId})`);
  };

  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const handler = handlers.get(path);
    if (handler === undefined) {
      fallback(req, res);
      return;
    }
    const logAccess = accessLog.begin();
    const incomingId = req.headers['x-request-id'];
    const info: RpcCallInfo = {
      requestId: acceptRequestId(typeof incomingId === 'string' ? incomingId : undefined, newRequestId),
      clientAddress: clientAddressOf({ incoming: req, outgoing: res }),
      org: undefined,
      code: undefined,
    };
    // Set before the handler writes its head, so every answer carries it, errors included.
    res.setHeader('x-request-id', info.requestId);
    let answered: UniversalServerResponse | undefined;
    res.once('close', () => {
      logAccess({
        kind: 'rpc',
        requestId: info.requestId,
        protocol: protocolOf(req.headers['content-type']),
        procedure: path,
        code: outcome(info, answered),
        org: info.org,
      });
    });

    let uReq: UniversalServerRequest;
    try {
      uReq = universalRequestFromNodeRequest(req, res, undefined, withCallInfo(createContextValues(), info));
    } catch {
      // No :authority / Host header: nothing we can answer in any RPC protocol.
      res.writeHead(400);
      res.end();
      return;
    }
    // Unary bodies are capped as a whole; reflection streams per message (readMaxBytes).
    const unary = handler.method.methodKind === 'unary';
    if (unary) uReq = limitRequestBody(uReq, LIMITS.bodyBytes);
    // SecretService calls are authenticated from the headers before any body byte is read or
    // decoded (a bad body without a token is 401, and an unauthenticated stream holds nothing).
    const secretCall = path.startsWith(SECRET_SERVICE_PREFIX);
    const authenticated = secretCall
      ? authenticateHeaders(deps.auth, authorizationOf(req), info.clientAddress, info.requestId)
      : Promise.resolve(undefined);
    authenticated
      .then((outcome) => {
        if (outcome?.ok === true) {
          info.principal = outcome.principal;
          info.org = outcome.principal.orgName;
        } else if (outcome?.ok === false) {
          const refusal = asAppError(outcome.error, info.requestId);
          // Set first: the answer is ours, not a decoder's, so it is not reclassified below.
          info.code = refusal.code;
          uReq = refusedBeforeBody(uReq, refusal);
        }
        return handler(uReq);
      })
      // Unary calls that failed before our handler ran: the decoder's text may quote input.
      // (Streams are reflection only, whose requests hold nothing secret; they pass untouched.)
      .then((uRes) => (info.code === undefined && unary ? sanitizePreHandlerAnswer(uRes) : uRes))
      .then(withSpecGrpcMessage)
      .then((uRes) => {
        answered = uRes;
        return universalResponseToNodeResponse(uRes, res);
      })
      .catch((reason: unknown) => {
        // Mostly a peer that went away mid-answer; never a value in the text.
        const e = reason instanceof Error ? reason : new Error(String(reason));
        deps.logger.error({
          msg: 'rpc failed',
          requestId: info.requestId,
          procedure: path,
          error: e.name,
          detail: e.message,
        });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };
}
