import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';

/** What {@link listen} serves and where. */
export interface ListenOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
}

/** A listening server. */
export interface Listening {
  /** `http(s)://host:port` as bound (the real port when 0 was asked). */
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the HTTP(S) listener for the app. */
export async function listen(options: ListenOptions): Promise<Listening> {
  const server = (
    options.tls
      ? createAdaptorServer({
          fetch: options.fetch,
          createServer: createHttpsServer,
          serverOptions: { cert: options.tls.cert, key: options.tls.key },
        })
      : createAdaptorServer({ fetch: options.fetch })
  ) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
