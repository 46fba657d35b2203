import type { Logger } from './logger';

/** How a REST request ended. */
export interface RestAccess {
  kind: 'request';
  requestId: string;
  method: string;
  /** The route pattern, never the URL: no query string or slot name shape beyond the pattern. */
  route: string;
  status: number;
  org: string | undefined;
}

/** How a gRPC, gRPC-Web or Connect call ended. */
export interface RpcAccess {
  kind: 'rpc';
  requestId: string;
  protocol: 'grpc' | 'grpc-web' | 'connect';
  procedure: string;
  /** `OK` or the gRPC code name. */
  code: string;
  org: string | undefined;
}

/** The one access log of every protocol: one line per request or call. */
export interface AccessLog {
  /** Notes when a request starts; the returned function writes its line (with the duration) once it ends. */
  begin(): (outcome: RestAccess | RpcAccess) => void;
}

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Creates the {@link AccessLog}. Only ids, route patterns, outcomes, durations
 * and the org name go in: never headers, bodies or URLs, so neither a token
 * nor a value can reach the log.
 */
export function createAccessLog(logger: Logger, now: () => number): AccessLog {
  return {
    begin() {
      const started = now();
      return (outcome) => {
        if (typeof __DODIL_BENCH_NO_ACCESS_LOG__ === 'boolean' && __DODIL_BENCH_NO_ACCESS_LOG__) return;
        const durationMs = roundMs(now() - started);
        if (outcome.kind === 'request') {
          const { requestId, method, route, status, org } = outcome;
          logger.info({ msg: 'request', requestId, method, route, status, durationMs, org });
        } else {
          const { requestId, protocol, procedure, code, org } = outcome;
          logger.info({ msg: 'rpc', requestId, protocol, procedure, code, durationMs, org });
        }
      };
    },
  };
}
