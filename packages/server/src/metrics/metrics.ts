import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditObserver } from '../audit/audit-log';
import { READINESS_CAUSES } from '../ops/readiness';
import type { ReadinessCause, ReadinessCheck } from '../ops/readiness';

/** The protocols one port speaks (the `protocol` label). */
export type MetricsProtocol = 'rest' | 'grpc' | 'grpc-web' | 'connect';

/**
 * One finished request as the access log sees it. `route` is a pattern
 * (`/v1/ignite/secrets/:name`) or an RPC procedure path, never a URL: no slot
 * name, token or query string can reach a label.
 */
export interface RequestObservation {
  protocol: MetricsProtocol;
  method: string;
  route: string;
  /** HTTP status; for gRPC, gRPC-Web and Connect the status docs/contract.md#errors gives the call's code. */
  status: number;
  durationSeconds: number;
}

/** The server's metrics (docs/contract.md#operating-it) in a private registry (never prom-client's global one). */
export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest(o: RequestObservation): void;
  readonly audit: AuditObserver;
  /** Adds `dodil_ready` and `dodil_not_ready_cause{cause}`, evaluated on each scrape. */
  watchReadiness(check: ReadinessCheck): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/** Buckets in seconds: sub-millisecond REST reads up to slow audited writes under load. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Methods are a closed set so a client can't mint label values (`FOO /` would otherwise be one).
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Creates the metrics with process metrics; `defaults: false` leaves those out (unit tests). */
export function createServerMetrics(options: { defaults?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests (REST, gRPC, gRPC-Web and Connect), by route pattern.',
    labelNames: ['method', 'route', 'status', 'protocol'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'dodil_auth_failures_total',
    help: 'Requests refused as UNAUTHENTICATED (missing, unknown, expired or revoked token).',
    labelNames: ['protocol'] as const,
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'dodil_throttled_total',
    help: 'Requests refused as RESOURCE_EXHAUSTED (failed-auth throttle or token rate).',
    labelNames: ['protocol'] as const,
    registers: [registry],
  });
  const auditEntries = new Counter({
    name: 'dodil_audit_entries_total',
    help: 'Audit entries made durable by this process.',
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'dodil_audit_write_failures_total',
    help: 'Audit entries that could not be written (their requests failed closed).',
    registers: [registry],
  });
  // Zero series exist from the start, so rate() and alerts work before the first event.
  for (const protocol of ['rest', 'grpc', 'grpc-web', 'connect'] as const) {
    authFailures.inc({ protocol }, 0);
    throttled.inc({ protocol }, 0);
  }
  return {
    registry,
    observeRequest(o) {
      const method = KNOWN_METHODS.has(o.method) ? o.method : 'OTHER';
      const status = String(o.status);
      duration.observe({ method, route: o.route, status, protocol: o.protocol }, o.durationSeconds);
      if (o.status === 401) authFailures.inc({ protocol: o.protocol });
      if (o.status === 429) throttled.inc({ protocol: o.protocol });
    },
    audit: {
      appended: (count) => auditEntries.inc(count),
      failed: (count) => auditFailures.inc(count),
    },
    watchReadiness(check) {
      // Both gauges are collected concurrently on a scrape; they share one readiness check.
      let inflight: Promise<readonly ReadinessCause[]> | undefined;
      const causesNow = () =>
        (inflight ??= check().finally(() => {
          inflight = undefined;
        }));
      new Gauge({
        name: 'dodil_ready',
        help: '1 when /readyz would answer 200, else 0.',
        registers: [registry],
        async collect() {
          this.set((await causesNow()).length === 0 ? 1 : 0);
        },
      });
      new Gauge({
        name: 'dodil_not_ready_cause',
        help: 'The /readyz causes that hold now (1), by fixed cause code.',
        labelNames: ['cause'] as const,
        registers: [registry],
        async collect() {
          const now = await causesNow();
          for (const cause of READINESS_CAUSES) this.set({ cause }, now.includes(cause) ? 1 : 0);
        },
      });
    },
    render: () => registry.metrics(),
  };
}
