import { GrpcCode, httpStatusFor } from '@dodil/shared';
import type { GrpcCodeName } from '@dodil/shared';
import type { Logger } from '../edge/logger';
import type { MetricsProtocol, RequestObservation, ServerMetrics } from './metrics';

const RPC_PROTOCOLS = new Set<string>(['grpc', 'grpc-web', 'connect']);

const isCodeName = (v: unknown): v is GrpcCodeName => typeof v === 'string' && v in GrpcCode;

/**
 * Reads one access-log event (REST's `request` line or the RPC listener's `rpc`
 * line) as a metrics observation; anything else is `undefined`. Both lines
 * carry only the route pattern or procedure path, never a URL, so neither can
 * put a slot name or token into a label.
 */
export function observationOf(event: Record<string, unknown>): RequestObservation | undefined {
  const durationMs = event.durationMs;
  if (typeof durationMs !== 'number') return undefined;
  const durationSeconds = durationMs / 1000;
  if (event.msg === 'request' && typeof event.method === 'string' && typeof event.status === 'number') {
    const route = typeof event.route === 'string' ? event.route : 'unknown';
    return { protocol: 'rest', method: event.method, route, status: event.status, durationSeconds };
  }
  if (event.msg === 'rpc' && typeof event.procedure === 'string' && typeof event.protocol === 'string') {
    if (!RPC_PROTOCOLS.has(event.protocol)) return undefined;
    // One status vocabulary for every protocol: the HTTP status docs/contract.md#errors gives the call's code.
    const code = isCodeName(event.code) ? event.code : 'UNKNOWN';
    return {
      protocol: event.protocol as MetricsProtocol,
      method: 'POST',
      route: event.procedure,
      status: httpStatusFor(code),
      durationSeconds,
    };
  }
  return undefined;
}

/**
 * The metrics hook: a logger that also records every access-log event it
 * passes on. Every protocol already writes exactly one access line per
 * request, so this sees REST, gRPC, gRPC-Web and Connect alike without
 * touching the request paths.
 */
export function withRequestMetrics(logger: Logger, metrics: Pick<ServerMetrics, 'observeRequest'>): Logger {
  return {
    info(event) {
      const observation = observationOf(event);
      if (observation !== undefined) metrics.observeRequest(observation);
      logger.info(event);
    },
    error: (event) => logger.error(event),
  };
}
