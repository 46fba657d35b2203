import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { listen } from '../../../src/edge/listen';
import type { Listening } from '../../../src/edge/listen';
import { makeHarness } from '../../support/harness';
import type { HarnessOptions } from '../../support/harness';

const here = dirname(fileURLToPath(import.meta.url));

/** The repo's proto/ directory (the shipped .proto files). */
export const PROTO_DIR = join(here, '..', '..', '..', '..', '..', 'proto');

/** google/api/annotations.proto and friends, from the installed google-proto-files. */
export const GOOGLE_PROTO_DIR = dirname(
  createRequire(import.meta.url).resolve('google-proto-files/package.json'),
);

/** Options of {@link startWorld}. */
export interface WorldOptions extends HarnessOptions {
  tls?: { cert: Buffer; key: Buffer };
}

/**
 * A fresh data dir and runtime (the lead's harness) behind the real combined
 * listener on 127.0.0.1:0: REST, gRPC, gRPC-Web and Connect on one port.
 * Closed when the test ends.
 */
export async function startWorld(options: WorldOptions = {}) {
  const h = await makeHarness(options);
  const server: Listening = await listen({
    fetch: h.app.fetch,
    host: '127.0.0.1',
    port: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    rpc: { secrets: h.runtime.secrets, auth: h.runtime.auth, logger: h.logger },
  });
  onTestFinished(() => server.close(200));
  const { port } = new URL(server.url);

  /** A token of `org` with its id, for revocation. */
  async function tokenWithId(org: string, scopes: readonly string[]) {
    if ((await h.runtime.stores.orgs.getByName(org)) === undefined) await h.runtime.admin.createOrg(org);
    return h.runtime.admin.createToken({ org, scopes });
  }

  return { ...h, server, url: server.url, target: `127.0.0.1:${port}`, tokenWithId };
}

/** A started world. */
export type World = Awaited<ReturnType<typeof startWorld>>;
