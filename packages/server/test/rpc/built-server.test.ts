import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { provisionOrg, startServer } from '../support/server-process';
import { loadSecretProto, serviceCtor } from './support/drivers';
import { PROTO_DIR } from './support/rpc-world';

// The bundled server (`dodil-server start`) as a user runs it: gRPC with
// reflection and Connect answer on the port the REST API uses.

const KEY = testKeyB64(9);

test('the built server serves gRPC, reflection and Connect next to REST', async () => {
  const dir = tempDir();
  const env = { DODIL_MASTER_KEY: KEY, DODIL_DATA_DIR: dir };
  const token = provisionOrg(env);
  const server = await startServer([], env);
  const target = new URL(server.url).host;

  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  const Secrets = serviceCtor(loadSecretProto(), 'dodil.ignite.v1.SecretService');
  const client = new Secrets(target, grpc.credentials.createInsecure());
  type Cb = (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void;
  const call = (method: string, req: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const fn = (client as unknown as Record<string, (q: object, m: grpc.Metadata, cb: Cb) => void>)[method];
      if (fn === undefined) throw new Error(`no ${method}`);
      fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res ?? {})));
    });
  await call('CreateSecret', {
    name: 'gh',
    value: { gitSecret: { username: 'octo', token: 'BUILT-SECRET' } },
  });
  expect((await call('GetSecret', { name: 'gh' })).value).toMatchObject({
    gitSecret: { token: 'BUILT-SECRET' },
  });
  client.close();

  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [PROTO_DIR] });
  const Reflection = serviceCtor(grpc.loadPackageDefinition(def), 'grpc.reflection.v1.ServerReflection');
  const reflection = new Reflection(target, grpc.credentials.createInsecure());
  const open = (
    reflection as unknown as Record<string, () => grpc.ClientDuplexStream<object, Record<string, unknown>>>
  ).ServerReflectionInfo;
  if (open === undefined) throw new Error('no ServerReflectionInfo');
  const stream = open.call(reflection);
  const listed = new Promise<Record<string, unknown>>((resolve) => stream.once('data', resolve));
  stream.write({ listServices: '' });
  expect(JSON.stringify(await listed)).toContain('dodil.ignite.v1.SecretService');
  stream.end();
  reflection.close();

  const connect = await fetch(`${server.url}/dodil.ignite.v1.SecretService/GetSecret`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"name":"gh"}',
  });
  expect(await connect.json()).toMatchObject({
    value: { gitSecret: { username: 'octo', token: 'BUILT-SECRET' } },
  });
  const rest = await fetch(`${server.url}/v1/ignite/secrets/gh`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(rest.status).toBe(200);

  expect(await server.stop()).toBe(0);
  expect(server.stdout()).toContain('"msg":"rpc"');
  expect(server.stdout() + server.stderr()).not.toContain('BUILT-SECRET');
  expect(server.stdout() + server.stderr()).not.toContain(token);
});
