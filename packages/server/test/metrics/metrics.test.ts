import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test, onTestFinished } from 'vitest';
import { createServerMetrics } from '../../src/metrics/metrics';
import { listenMetrics } from '../../src/metrics/metrics-listener';
import { gitValue } from '../support/harness';
import { parsePrometheusText, sampleSum } from '../support/prom-text';
import type { PromFamily } from '../support/prom-text';
import { bearer, connectDriver, grpcDriver, restDriver } from '../rpc/support/drivers';
import { startWorld } from '../rpc/support/rpc-world';
import type { World } from '../rpc/support/rpc-world';
import { envelope, grpcWebFrames, protoStrings } from '../rpc/support/wire';

const DURATION = 'http_server_request_duration_seconds';

async function metricsWorld(options: { defaults?: boolean } = {}) {
  const metrics = createServerMetrics(options);
  const w = await startWorld({ metrics });
  const listening = await listenMetrics(metrics, '127.0.0.1', 0);
  onTestFinished(() => listening.close());
  return { w, metrics, metricsUrl: listening.url };
}

async function scrape(url: string): Promise<{ text: string; families: Map<string, PromFamily> }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parsePrometheusText(text) };
}

/** Scrapes until the histogram has counted `total` requests (RPC lines are logged when the socket closes). */
async function scrapeWhen(url: string, total: number) {
  for (let i = 0; i < 100; i++) {
    const s = await scrape(url);
    if (sampleSum(s.families, `${DURATION}_count`) >= total) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  return scrape(url);
}

function grpcWebGet(w: World, token: string, name: string) {
  return fetch(`${w.url}/dodil.ignite.v1.SecretService/GetSecret`, {
    method: 'POST',
    headers: {
      'content-type': 'application/grpc-web+proto',
      'x-grpc-web': '1',
      authorization: bearer(token),
    },
    body: envelope(protoStrings([[1, name]])),
  });
}

describe('/metrics (docs/contract.md#operating-it)', () => {
  test('counts a known mix of requests on every protocol, by route pattern, status and protocol', async () => {
    const { w, metricsUrl } = await metricsWorld();
    const token = await w.token();
    const auth = bearer(token);
    const rest = restDriver(w);
    const grpc = grpcDriver(w);
    const connect = connectDriver(w);
    // REST: 2 creates, 1 get, 1 missing get, 2 unauthenticated.
    expect((await rest.create(auth, { name: 'gh', value: gitValue() })).code).toBe('OK');
    expect((await rest.create(auth, { name: 'gh2', value: gitValue() })).code).toBe('OK');
    expect((await rest.get(auth, 'gh')).code).toBe('OK');
    expect((await rest.get(auth, 'nope')).code).toBe('NOT_FOUND');
    expect((await rest.get(undefined, 'gh')).code).toBe('UNAUTHENTICATED');
    expect((await rest.list('Bearer dodil_wrong', {})).code).toBe('UNAUTHENTICATED');
    // gRPC: 2 gets, 1 unauthenticated.
    expect((await grpc.get(auth, 'gh')).code).toBe('OK');
    expect((await grpc.get(auth, 'gh2')).code).toBe('OK');
    expect((await grpc.list(undefined, {})).code).toBe('UNAUTHENTICATED');
    // gRPC-Web: 1 get.
    const web = grpcWebFrames(Buffer.from(await (await grpcWebGet(w, token, 'gh')).arrayBuffer()));
    expect(web.trailers['grpc-status']).toBe('0');
    // Connect: 1 list, 1 missing get, 1 delete.
    expect((await connect.list(auth, {})).code).toBe('OK');
    expect((await connect.get(auth, 'nope')).code).toBe('NOT_FOUND');
    expect((await connect.delete(auth, 'gh2')).code).toBe('OK');
    // Health is REST too (no auth).
    expect((await fetch(`${w.url}/healthz`)).status).toBe(200);

    const { families } = await scrapeWhen(metricsUrl, 14);
    const count = (labels: Record<string, string>) => sampleSum(families, `${DURATION}_count`, labels);
    expect(count({})).toBe(14);
    expect(count({ protocol: 'rest' })).toBe(7);
    expect(count({ protocol: 'grpc' })).toBe(3);
    expect(count({ protocol: 'grpc-web' })).toBe(1);
    expect(count({ protocol: 'connect' })).toBe(3);
    // With 14 requests the histogram's sum of seconds is positive and finite.
    expect(sampleSum(families, `${DURATION}_sum`)).toBeGreaterThan(0);
    expect(count({ protocol: 'rest', method: 'POST', route: '/v1/ignite/secrets', status: '200' })).toBe(2);
    expect(count({ protocol: 'rest', method: 'GET', route: '/v1/ignite/secrets/:name', status: '200' })).toBe(
      1,
    );
    expect(count({ protocol: 'rest', method: 'GET', route: '/v1/ignite/secrets/:name', status: '404' })).toBe(
      1,
    );
    expect(count({ protocol: 'rest', status: '401' })).toBe(2);
    expect(count({ protocol: 'rest', route: '/healthz', status: '200' })).toBe(1);
    expect(
      count({ protocol: 'grpc', route: '/dodil.ignite.v1.SecretService/GetSecret', status: '200' }),
    ).toBe(2);
    expect(
      count({ protocol: 'grpc', route: '/dodil.ignite.v1.SecretService/ListSecrets', status: '401' }),
    ).toBe(1);
    expect(
      count({ protocol: 'grpc-web', route: '/dodil.ignite.v1.SecretService/GetSecret', status: '200' }),
    ).toBe(1);
    expect(
      count({ protocol: 'connect', route: '/dodil.ignite.v1.SecretService/GetSecret', status: '404' }),
    ).toBe(1);
    expect(
      count({ protocol: 'connect', route: '/dodil.ignite.v1.SecretService/DeleteSecret', status: '200' }),
    ).toBe(1);

    expect(sampleSum(families, 'dodil_auth_failures_total')).toBe(3);
    expect(sampleSum(families, 'dodil_auth_failures_total', { protocol: 'rest' })).toBe(2);
    expect(sampleSum(families, 'dodil_auth_failures_total', { protocol: 'grpc' })).toBe(1);
    expect(sampleSum(families, 'dodil_throttled_total')).toBe(0);
    // Every entry this process made durable, and the chain agrees.
    await w.runtime.audit.flush();
    const verified = await w.runtime.audit.verify();
    expect(verified.ok).toBe(true);
    const entries = sampleSum((await scrape(metricsUrl)).families, 'dodil_audit_entries_total');
    expect(entries).toBe(verified.ok ? verified.count : -1);
    expect(entries).toBeGreaterThanOrEqual(12);
    expect(sampleSum(families, 'dodil_audit_write_failures_total')).toBe(0);
    // Process metrics come from collectDefaultMetrics in our own registry.
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(families.get(DURATION)?.type).toBe('histogram');
  });

  test('throttled requests and audit write failures are counted', async () => {
    const { w, metrics, metricsUrl } = await metricsWorld({ defaults: false });
    const token = await w.token();
    const rest = restDriver(w);
    // A broken audit head: the next audited request fails closed (503) and the failure is counted.
    const head = w.runtime.db.prepare("SELECT value FROM meta WHERE key = 'audit_head'").pluck().get();
    w.runtime.db.prepare("UPDATE meta SET value = x'00' WHERE key = 'audit_head'").run();
    expect((await rest.get(bearer(token), 'x')).code).toBe('UNAVAILABLE');
    const broken = (await scrape(metricsUrl)).families;
    expect(sampleSum(broken, 'dodil_ready')).toBe(0);
    expect(sampleSum(broken, 'dodil_not_ready_cause', { cause: 'AUDIT_CHAIN_BROKEN' })).toBe(1);
    expect(sampleSum(broken, 'dodil_not_ready_cause')).toBe(1);
    w.runtime.db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(head);
    expect(sampleSum((await scrape(metricsUrl)).families, 'dodil_ready')).toBe(1);
    // The default failed-auth limit is 10 per minute per address; later failures are refused as 429.
    let throttled = 0;
    for (let i = 0; i < 14; i++)
      if ((await rest.get('Bearer dodil_bad', 'x')).code === 'RESOURCE_EXHAUSTED') throttled++;
    expect(throttled).toBeGreaterThan(0);
    const { families } = await scrapeWhen(metricsUrl, 15);
    expect(sampleSum(families, 'dodil_throttled_total', { protocol: 'rest' })).toBe(throttled);
    expect(sampleSum(families, 'dodil_auth_failures_total', { protocol: 'rest' })).toBe(14 - throttled);
    expect(sampleSum(families, 'dodil_audit_write_failures_total')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(families, `${DURATION}_count`, { status: '503' })).toBe(1);
    expect(metrics.registry.getSingleMetric('process_cpu_seconds_total')).toBeUndefined();
  });

  test('the metrics listener serves only GET /metrics', async () => {
    const { metricsUrl } = await metricsWorld({ defaults: false });
    const base = metricsUrl.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/v1/ignite/secrets`)).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${metricsUrl}?x=1`)).status).toBe(200);
  });

  test('fuzz: no slot name or token ever appears in a label or value', async () => {
    const { w, metricsUrl } = await metricsWorld({ defaults: false });
    const token = await w.token();
    const rest = restDriver(w);
    const connect = connectDriver(w);
    const grpc = grpcDriver(w);
    const used: string[] = [token];
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9_-]{12,64}$/),
        fc.stringMatching(/^[A-Za-z0-9._~+/-]{16,80}$/),
        async (name, badToken) => {
          used.push(name, badToken);
          await rest.create(bearer(token), { name, value: gitValue('u', badToken) });
          await rest.get(bearer(token), name);
          await rest.get(bearer(badToken), name);
          await connect.get(bearer(token), name);
          await grpc.delete(bearer(badToken), name);
          // A hostile path too: the name in an unknown route.
          await fetch(
            `${w.url}/v1/ignite/${name}/${encodeURIComponent(badToken)}?token=${encodeURIComponent(badToken)}`,
            {
              headers: { authorization: bearer(token) },
            },
          );
          requests += 6;
        },
      ),
      { numRuns: 25 },
    );
    const { text, families } = await scrapeWhen(metricsUrl, requests);
    expect(sampleSum(families, `${DURATION}_count`)).toBe(requests);
    for (const secret of used) expect(text.includes(secret)).toBe(false);
    const routes = new Set<string>();
    for (const f of families.values())
      for (const s of f.samples) if (s.labels.route !== undefined) routes.add(s.labels.route);
    // Only fixed patterns and procedure paths: a closed set, whatever the input.
    for (const route of routes) {
      expect(route).toMatch(
        /^(\/v1\/ignite\/secrets(\/:name)?|\/dodil\.ignite\.v1\.SecretService\/[A-Za-z]+|\/\*|\*|\/v1\/\*)$/,
      );
    }
  });
});

test('every metric the Grafana dashboard queries is one the server exposes', async () => {
  const { metricsUrl } = await metricsWorld();
  const { families } = await scrape(metricsUrl);
  const dashboard = readFileSync(
    new URL('../../../../deploy/grafana-dashboard.json', import.meta.url),
    'utf8',
  );
  const used = new Set(dashboard.match(/\b(?:http_server|dodil|process|nodejs)_[a-z0-9_]+/g) ?? []);
  expect(used.size).toBeGreaterThanOrEqual(6);
  for (const name of used) {
    const family = name.replace(/_(bucket|count|sum)$/, '');
    expect(families.has(family) || families.has(name), name).toBe(true);
  }
});
