// A small in-memory SecretService over real HTTP for the CLI tests.
import { errorBody, fakeServer, meta, tempDir, type FakeAnswer, type SeenRequest } from '../helpers';
import { join } from 'node:path';

/** A small in-memory SecretService over real HTTP; the token "good" has every scope. */
export async function api(
  opts: {
    scopes?: string[];
    pageSize?: number;
    override?: (req: SeenRequest) => FakeAnswer | undefined;
  } = {},
) {
  const slots = new Map<string, { metadata: ReturnType<typeof meta>; value: unknown }>();
  let clock = 1_700_000_000_000;
  const scopes = new Set(opts.scopes ?? ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret']);
  const server = await fakeServer((req) => {
    const o = opts.override?.(req);
    if (o) return o;
    if (req.authorization !== 'Bearer good') return { status: 401, json: errorBody(16, 'unknown token') };
    const url = new URL(req.url, 'http://x');
    const need = (scope: string) =>
      scopes.has(scope) ? undefined : { status: 403, json: errorBody(7, `token lacks ${scope}`) };
    const name = decodeURIComponent(url.pathname.replace('/v1/ignite/secrets/', ''));
    if (req.method === 'POST') {
      const denied = need('CreateSecret');
      if (denied) return denied;
      const body = JSON.parse(req.body) as { name: string; value: Record<string, unknown> };
      const type = 'gitSecret' in body.value ? 'git_secret' : 'registry_secret';
      const old = slots.get(body.name);
      clock += 1000;
      const m = meta(body.name, type, old?.metadata.createdAtMs ?? String(clock), String(clock));
      slots.set(body.name, { metadata: m, value: body.value });
      return { status: 200, json: { metadata: m } };
    }
    if (req.method === 'GET' && url.pathname === '/v1/ignite/secrets') {
      const denied = need('ListSecrets');
      if (denied) return denied;
      const size = Math.min(Number(url.searchParams.get('pageSize') ?? 100), opts.pageSize ?? 1000);
      const names = [...slots.keys()].sort();
      const start = Number(url.searchParams.get('pageToken') || 0);
      const page = names.slice(start, start + size);
      const next = start + size < names.length ? String(start + size) : '';
      return { status: 200, json: { secrets: page.map((n) => slots.get(n)?.metadata), nextPageToken: next } };
    }
    if (req.method === 'GET') {
      const denied = need('GetSecret');
      if (denied) return denied;
      const slot = slots.get(name);
      return slot
        ? { status: 200, json: slot }
        : { status: 404, json: errorBody(5, `slot ${name} not found`) };
    }
    if (req.method === 'DELETE') {
      const denied = need('DeleteSecret');
      if (denied) return denied;
      slots.delete(name);
      return { status: 200, json: {} };
    }
    return { status: 404, json: errorBody(5, 'no route') };
  });
  const env = { DODIL_URL: server.url, DODIL_TOKEN: 'good', DODIL_CONFIG: join(tempDir(), 'config.json') };
  return { ...server, slots, env };
}
