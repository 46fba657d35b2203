import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, test } from 'vitest';
import { serviceCtor } from './support/drivers';
import { PROTO_DIR, startWorld } from './support/rpc-world';
import type { World } from './support/rpc-world';

// A grpc-js client of the reflection protocol, as grpcurl is one: it lists
// the services, fetches descriptors, then calls SecretService from those
// descriptors alone, without the .proto.

type Reply = Record<string, unknown>;

/** A reflection stream: one request, one reply, in order. */
function openReflection(w: World, version: 'v1' | 'v1alpha') {
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [PROTO_DIR],
  });
  const Ctor = serviceCtor(grpc.loadPackageDefinition(def), `grpc.reflection.${version}.ServerReflection`);
  const client = new Ctor(w.target, grpc.credentials.createInsecure());
  const open = (client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, Reply>>)
    .ServerReflectionInfo;
  if (open === undefined) throw new Error('no ServerReflectionInfo');
  const stream = open.call(client);
  const replies: Reply[] = [];
  const waiters: ((r: Reply) => void)[] = [];
  stream.on('data', (r: Reply) => {
    const waiter = waiters.shift();
    if (waiter) waiter(r);
    else replies.push(r);
  });
  stream.on('error', () => {});
  return {
    ask(request: Reply): Promise<Reply> {
      stream.write(request);
      const ready = replies.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reflection reply in 10 s')), 10_000);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    close() {
      stream.end();
      client.close();
    },
  };
}

/** Field 1 (`name`) of a serialized FileDescriptorProto, read off the wire by hand. */
function fileName(bytes: Uint8Array): string {
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++] ?? 0;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < bytes.length) {
    const key = varint();
    if (key !== 0x0a) throw new Error(`unexpected first field key ${key}`);
    const len = varint();
    return Buffer.from(bytes.subarray(i, i + len)).toString('utf8');
  }
  throw new Error('empty descriptor');
}

const filesOf = (reply: Reply): Uint8Array[] =>
  (reply.fileDescriptorResponse as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto;

/** A google.protobuf.FileDescriptorSet: `repeated FileDescriptorProto file = 1`. */
function descriptorSet(files: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const len: number[] = [];
    for (let n = f.length; ; n = Math.floor(n / 128)) {
      len.push(n >= 128 ? (n % 128) | 0x80 : n);
      if (n < 128) break;
    }
    parts.push(Buffer.from([0x0a, ...len]), Buffer.from(f));
  }
  return Buffer.concat(parts);
}

const SERVICES = [
  'dodil.ignite.v1.SecretService',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

describe.each(['v1', 'v1alpha'] as const)('server reflection %s', (version) => {
  test('lists the services', async () => {
    const w = await startWorld();
    const r = openReflection(w, version);
    const reply = await r.ask({ host: '', listServices: '' });
    r.close();
    const names = (reply.listServicesResponse as { service: { name: string }[] }).service.map((s) => s.name);
    expect(names).toEqual(SERVICES);
  });

  test('serves the file of a symbol with its imports, then calls SecretService from those descriptors alone', async () => {
    const w = await startWorld();
    const token = await w.token();
    const r = openReflection(w, version);
    const reply = await r.ask({ fileContainingSymbol: 'dodil.ignite.v1.SecretService' });
    r.close();
    const files = filesOf(reply);
    expect(files.map(fileName)).toEqual([
      'dodil/ignite/v1/secret.proto',
      'google/api/annotations.proto',
      'google/api/http.proto',
      'google/protobuf/descriptor.proto',
    ]);

    const def = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files), { longs: String });
    const Ctor = serviceCtor(grpc.loadPackageDefinition(def), 'dodil.ignite.v1.SecretService');
    const client = new Ctor(w.target, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    type Cb = (err: grpc.ServiceError | null, res?: Reply) => void;
    const call = (method: string, req: Reply) =>
      new Promise<Reply>((resolve, reject) => {
        const fn = (client as unknown as Record<string, (q: Reply, m: grpc.Metadata, cb: Cb) => void>)[
          method
        ];
        if (fn === undefined) throw new Error(`no ${method}`);
        fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res ?? {})));
      });
    // protobufjs keeps descriptor field names as they are: snake_case, as in grpcurl bodies.
    await call('CreateSecret', {
      name: 'by-reflection',
      value: { git_secret: { username: 'octo', token: 't0k' } },
    });
    const got = await call('GetSecret', { name: 'by-reflection' });
    client.close();
    expect(got.value).toEqual({ git_secret: { username: 'octo', token: 't0k' } });
  });

  test('sends each import once per stream, and answers every kind of query', async () => {
    const w = await startWorld();
    const r = openReflection(w, version);
    const first = await r.ask({ fileByFilename: 'dodil/ignite/v1/secret.proto' });
    expect(filesOf(first).map(fileName)).toHaveLength(4);
    // Already sent on this stream: only the file asked for comes back.
    const again = await r.ask({ fileContainingSymbol: 'google.api.HttpRule' });
    expect(filesOf(again).map(fileName)).toEqual(['google/api/http.proto']);
    const method = await r.ask({ fileContainingSymbol: 'dodil.ignite.v1.SecretService.GetSecret' });
    expect(filesOf(method).map(fileName)).toEqual(['dodil/ignite/v1/secret.proto']);
    const ext = await r.ask({
      fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 72295728 },
    });
    expect(filesOf(ext).map(fileName)).toEqual(['google/api/annotations.proto']);
    const numbers = await r.ask({ allExtensionNumbersOfType: 'google.protobuf.MethodOptions' });
    expect(numbers.allExtensionNumbersResponse).toEqual({
      baseTypeName: 'google.protobuf.MethodOptions',
      extensionNumber: [72295728],
    });
    const missing = await r.ask({ fileContainingSymbol: 'no.such.Thing' });
    expect(missing.errorResponse).toEqual({ errorCode: 5, errorMessage: 'symbol no.such.Thing not found' });
    const noFile = await r.ask({ fileByFilename: 'nope.proto' });
    expect((noFile.errorResponse as { errorCode: number }).errorCode).toBe(5);
    const empty = await r.ask({ host: 'x' });
    expect((empty.errorResponse as { errorCode: number }).errorCode).toBe(3);
    expect(empty.validHost).toBe('x');
    r.close();
  });
});
