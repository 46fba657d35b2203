import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GrpcCode, grpcCodeName } from '@dodil/shared';
import type { GrpcCodeName } from '@dodil/shared';
import { onTestFinished } from 'vitest';
import { GOOGLE_PROTO_DIR, PROTO_DIR } from './rpc-world';
import type { World } from './rpc-world';

/*
 * Three independent clients of the same four RPCs: REST with fetch, gRPC with
 * @grpc/grpc-js loading the shipped .proto, Connect JSON with plain fetch
 * POSTs. None of them uses the server's code. Each answer is normalised to
 * REST's JSON shape (camelCase, int64 as strings, defaults filled in), so one
 * table of expectations covers all three.
 */

/** Which protocol a driver speaks. */
export type Protocol = 'rest' | 'grpc' | 'connect';

/** What came back, protocol details normalised away. */
export interface Outcome {
  code: GrpcCodeName;
  message: string;
  /** The response, REST-shaped; undefined on errors. */
  data: unknown;
  /** HTTP status (REST, Connect); undefined for gRPC, whose status is in trailers. */
  httpStatus: number | undefined;
  /** Response headers, or gRPC metadata (headers and trailers), lower-case keys. */
  meta: Record<string, string>;
}

/** The ListSecrets inputs. */
export interface ListInput {
  pageSize?: number;
  pageToken?: string;
}

/** One protocol's client. `auth` is the whole authorization value (or none). */
export interface Driver {
  protocol: Protocol;
  create(auth: string | undefined, body: unknown): Promise<Outcome>;
  get(auth: string | undefined, name: string): Promise<Outcome>;
  list(auth: string | undefined, input: ListInput): Promise<Outcome>;
  delete(auth: string | undefined, name: string): Promise<Outcome>;
}

/** `Bearer <token>`. */
export const bearer = (token: string) => `Bearer ${token}`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
// Scalars as String() writes them; anything else as JSON (never "[object Object]").
const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
};

function metadataJson(m: unknown) {
  const o = obj(m);
  return {
    name: str(o.name),
    type: str(o.type),
    createdAtMs: str(o.createdAtMs ?? '0'),
    updatedAtMs: str(o.updatedAtMs ?? '0'),
  };
}

function valueJson(v: unknown) {
  const o = obj(v);
  if (o.gitSecret !== undefined && o.gitSecret !== null) {
    const g = obj(o.gitSecret);
    return { gitSecret: { username: str(g.username), token: str(g.token) } };
  }
  if (o.registrySecret !== undefined && o.registrySecret !== null) {
    const r = obj(o.registrySecret);
    return {
      registrySecret: {
        username: str(r.username),
        password: str(r.password),
        serverAddress: str(r.serverAddress),
      },
    };
  }
  return {};
}

type Rpc = 'CreateSecret' | 'GetSecret' | 'ListSecrets' | 'DeleteSecret';

/** A success body in REST's shape. */
export function normalise(rpc: Rpc, body: unknown): unknown {
  const o = obj(body);
  switch (rpc) {
    case 'CreateSecret':
      return { metadata: metadataJson(o.metadata) };
    case 'GetSecret':
      return { metadata: metadataJson(o.metadata), value: valueJson(o.value) };
    case 'ListSecrets':
      return {
        secrets: (Array.isArray(o.secrets) ? o.secrets : []).map(metadataJson),
        nextPageToken: str(o.nextPageToken),
      };
    case 'DeleteSecret':
      return typeof body === 'object' && body !== null ? {} : body;
  }
}

function headersOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

async function jsonOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** REST (gRPC-gateway style JSON) over HTTP/1.1 with fetch. */
export function restDriver(w: World): Driver {
  async function call(
    rpc: Rpc,
    method: string,
    path: string,
    auth: string | undefined,
    body?: unknown,
  ): Promise<Outcome> {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${w.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await jsonOf(res);
    if (res.status === 200)
      return {
        code: 'OK',
        message: '',
        data: normalise(rpc, json),
        httpStatus: 200,
        meta: headersOf(res.headers),
      };
    const err = obj(json);
    return {
      code: grpcCodeName(Number(err.code)),
      message: str(err.message),
      data: undefined,
      httpStatus: res.status,
      meta: headersOf(res.headers),
    };
  }
  return {
    protocol: 'rest',
    create: (auth, body) => call('CreateSecret', 'POST', '/v1/ignite/secrets', auth, body),
    get: (auth, name) => call('GetSecret', 'GET', `/v1/ignite/secrets/${encodeURIComponent(name)}`, auth),
    list: (auth, input) => {
      const q = new URLSearchParams();
      if (input.pageSize !== undefined) q.set('pageSize', String(input.pageSize));
      if (input.pageToken !== undefined) q.set('pageToken', input.pageToken);
      return call('ListSecrets', 'GET', `/v1/ignite/secrets?${q.toString()}`, auth);
    },
    delete: (auth, name) =>
      call('DeleteSecret', 'DELETE', `/v1/ignite/secrets/${encodeURIComponent(name)}`, auth),
  };
}

/** Connect's string code (`not_found`) as a gRPC code name. */
export function connectCode(code: unknown): GrpcCodeName {
  const s = str(code);
  // Connect spells gRPC's CANCELLED the American way.
  if (s === 'canceled') return 'CANCELLED';
  const name = s.toUpperCase();
  return name in GrpcCode ? (name as GrpcCodeName) : 'UNKNOWN';
}

/** Connect protocol, unary JSON over HTTP/1.1, as curl would do it. */
export function connectDriver(w: World): Driver {
  async function call(rpc: Rpc, auth: string | undefined, body: unknown): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== undefined) headers.authorization = auth;
    const res = await fetch(`${w.url}/dodil.ignite.v1.SecretService/${rpc}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const json = await jsonOf(res);
    if (res.status === 200)
      return {
        code: 'OK',
        message: '',
        data: normalise(rpc, json),
        httpStatus: 200,
        meta: headersOf(res.headers),
      };
    const err = obj(json);
    return {
      code: connectCode(err.code),
      message: str(err.message),
      data: undefined,
      httpStatus: res.status,
      meta: headersOf(res.headers),
    };
  }
  return {
    protocol: 'connect',
    create: (auth, body) => call('CreateSecret', auth, body),
    get: (auth, name) => call('GetSecret', auth, { name }),
    list: (auth, input) => call('ListSecrets', auth, input),
    delete: (auth, name) => call('DeleteSecret', auth, { name }),
  };
}

type UnaryFn = (
  req: unknown,
  md: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

/** The shipped .proto, loaded by @grpc/proto-loader (google/api from google-proto-files). */
export function loadSecretProto(): grpc.GrpcObject {
  const def = protoLoader.loadSync('dodil/ignite/v1/secret.proto', {
    includeDirs: [PROTO_DIR, GOOGLE_PROTO_DIR],
    longs: String,
    defaults: true,
    oneofs: false,
  });
  return grpc.loadPackageDefinition(def);
}

/** A grpc-js client constructor found by its dotted path in a loaded package. */
export function serviceCtor(pkg: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of path.split('.')) node = obj(node)[part];
  if (typeof node !== 'function') throw new Error(`no service ${path} in the loaded package`);
  return node as grpc.ServiceClientConstructor;
}

/** gRPC over HTTP/2 cleartext (h2c prior knowledge) with @grpc/grpc-js. */
export function grpcDriver(
  w: World,
  credentials = grpc.credentials.createInsecure(),
  channelOptions: grpc.ChannelOptions = {},
): Driver {
  const Ctor = serviceCtor(loadSecretProto(), 'dodil.ignite.v1.SecretService');
  const client = new Ctor(w.target, credentials, channelOptions);
  onTestFinished(() => client.close());
  const deadline = () => ({ deadline: Date.now() + 10_000 });

  function call(rpc: Rpc, auth: string | undefined, req: unknown): Promise<Outcome> {
    const md = new grpc.Metadata();
    if (auth !== undefined) md.set('authorization', auth);
    const fn = (client as unknown as Record<string, UnaryFn>)[rpc];
    if (fn === undefined) throw new Error(`no method ${rpc}`);
    return new Promise((resolve) => {
      const meta: Record<string, string> = {};
      const call = fn.call(client, req, md, deadline(), (err, res) => {
        if (err) {
          Object.assign(meta, flatten(err.metadata));
          resolve({
            code: grpcCodeName(err.code),
            message: err.details,
            data: undefined,
            httpStatus: undefined,
            meta,
          });
        } else {
          resolve({ code: 'OK', message: '', data: normalise(rpc, res), httpStatus: undefined, meta });
        }
      });
      call.on('metadata', (m: grpc.Metadata) => Object.assign(meta, flatten(m)));
    });
  }
  return {
    protocol: 'grpc',
    create: (auth, body) => call('CreateSecret', auth, body),
    get: (auth, name) => call('GetSecret', auth, { name }),
    list: (auth, input) => call('ListSecrets', auth, input),
    delete: (auth, name) => call('DeleteSecret', auth, { name }),
  };
}

function flatten(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap()))
    out[k] = typeof v === 'string' ? v : Buffer.from(v).toString('base64');
  return out;
}

/** All three drivers, by protocol. */
export const DRIVERS: Record<Protocol, (w: World) => Driver> = {
  rest: restDriver,
  grpc: (w) => grpcDriver(w),
  connect: connectDriver,
};
