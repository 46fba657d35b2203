import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerMetrics } from './metrics';

/** A running metrics listener. */
export interface MetricsListening {
  url: string;
  close(): Promise<void>;
}

/**
 * `--metrics-listen`: its own plain-HTTP listener serving only `GET /metrics`
 * (Prometheus text). Separate from the API port so it can stay on a private
 * interface and needs no token; it exposes no slot names, tokens or values.
 */
export async function listenMetrics(
  metrics: ServerMetrics,
  host: string,
  port: number,
): Promise<MetricsListening> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
