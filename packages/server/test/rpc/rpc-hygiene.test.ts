import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, test } from 'vitest';
import { gitValue, registryValue } from '../support/harness';
import { bearer, connectDriver, grpcDriver, restDriver, serviceCtor } from './support/drivers';
import { PROTO_DIR, startWorld } from './support/rpc-world';

// What must hold on every protocol beyond the table: one store behind all of
// them, no value in logs or error text, size caps that answer instead of
// hanging up, clean failures and a clean shutdown.

const SERVICE = '/dodil.ignite.v1.SecretService';

describe('one service behind every protocol', () => {
  test('a slot written over gRPC reads back the same over REST and Connect, and the other way round', async () => {
    const w = await startWorld();
    const auth = bearer(await w.token());
    const [rest, grpcD, connect] = [restDriver(w), grpcDriver(w), connectDriver(w)];
    expect(
      (await grpcD.create(auth, { name: 'via-grpc', value: registryValue('ghcr.io', 'bot', 'pw-grpc') }))
        .code,
    ).toBe('OK');
    expect(
      (await connect.create(auth, { name: 'via-connect', value: gitValue('octo', 'pw-connect') })).code,
    ).toBe('OK');
    for (const name of ['via-grpc', 'via-connect']) {
      const answers = await Promise.all([
        rest.get(auth, name),
        grpcD.get(auth, name),
        connect.get(auth, name),
      ]);
      expect(answers.map((a) => a.code)).toEqual(['OK', 'OK', 'OK']);
      expect(answers[1]?.data).toEqual(answers[0]?.data);
      expect(answers[2]?.data).toEqual(answers[0]?.data);
    }
    const lists = await Promise.all([rest.list(auth, {}), grpcD.list(auth, {}), connect.list(auth, {})]);
    expect(lists[1]?.data).toEqual(lists[0]?.data);
    expect(lists[2]?.data).toEqual(lists[0]?.data);
  });

  test('calls are audited alike on every protocol, under the request id the caller got back', async () => {
    const w = await startWorld();
    const auth = bearer(await w.token());
    const outs = [];
    for (const d of [restDriver(w), grpcDriver(w), connectDriver(w)]) {
      outs.push(await d.create(auth, { name: `via-${d.protocol}`, value: gitValue('octo', 'AUDIT-SECRET') }));
    }
    await w.runtime.audit.flush();
    const entries = (await w.runtime.audit.list({ org: 'acme', limit: 100 })).filter(
      (e) => e.action === 'CreateSecret',
    );
    expect(entries.map((e) => [e.slot, e.code, e.requestId])).toEqual(
      outs.map((o, i) => [`via-${['rest', 'grpc', 'connect'][i] ?? ''}`, 'OK', o.meta['x-request-id']]),
    );
    expect(new Set(entries.map((e) => e.clientAddress)).size).toBe(1);
    expect(JSON.stringify(await w.runtime.audit.list({ limit: 100 }))).not.toContain('AUDIT-SECRET');
  });

  test('logs: one line per call with code and org, never a token or a value', async () => {
    const w = await startWorld();
    const token = await w.token();
    await grpcDriver(w).create(bearer(token), { name: 'a', value: gitValue('octo', 'LOG-SECRET-1') });
    await connectDriver(w).get(bearer(token), 'a');
    await grpcDriver(w).get(bearer(`${token}x`), 'a');
    const rpc = w.logger.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.msg === 'rpc');
    expect(rpc.map((e) => [e.protocol, e.procedure, e.code, e.org])).toEqual([
      ['grpc', `${SERVICE}/CreateSecret`, 'OK', 'acme'],
      ['connect', `${SERVICE}/GetSecret`, 'OK', 'acme'],
      ['grpc', `${SERVICE}/GetSecret`, 'UNAUTHENTICATED', undefined],
    ]);
    const all = w.logger.lines.join('\n');
    expect(all).not.toContain('LOG-SECRET-1');
    expect(all).not.toContain(token.slice(-20));
  });

  test('an unexpected failure is a generic INTERNAL on gRPC and Connect, details only in the log', async () => {
    const w = await startWorld();
    const token = await w.token();
    // A real fault: a token row damaged on disk (a blob where text belongs).
    w.runtime.db.prepare("UPDATE tokens SET scopes = x'00'").run();
    const [g, c] = await Promise.all([
      grpcDriver(w).list(bearer(token), {}),
      connectDriver(w).list(bearer(token), {}),
    ]);
    for (const out of [g, c]) {
      expect(out.code).toBe('INTERNAL');
      expect(out.message).toMatch(/^internal error \(request id [\w-]+\)$/);
    }
    expect(c.httpStatus).toBe(500);
    expect(w.logger.lines.filter((l) => l.includes('"msg":"unhandled error"'))).toHaveLength(2);
  });
});

describe('error text never quotes what the client sent', () => {
  test.each([
    ['a token where an object belongs', '{"name":"x","value":{"gitSecret":"ghp_ECHO_ME"}}'],
    [
      'a number where a string belongs',
      '{"name":"x","value":{"gitSecret":{"username":"u","token":987654321}}}',
    ],
    [
      'malformed JSON around a token',
      '{"name":"x","value":{"gitSecret":{"username":"u","token":ghp_ECHO_ME}}}',
    ],
    ['a string where a message belongs', '{"name":"x","value":"ghp_ECHO_ME"}'],
  ])('Connect JSON: %s', async (_label, body) => {
    const w = await startWorld();
    const res = await fetch(`${w.url}${SERVICE}/CreateSecret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(await w.token()) },
      body,
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: 'invalid_argument' });
    expect(text).not.toMatch(/ECHO_ME|987654321/);
  });
});

describe('64 KiB cap on RPC bodies: INVALID_ARGUMENT, delivered, not a hang-up', () => {
  const big = JSON.stringify({ name: 'x', value: gitValue('u', 'x'.repeat(1024 * 1024)) });

  test('Connect with a declared Content-Length', async () => {
    const w = await startWorld();
    const res = await fetch(`${w.url}${SERVICE}/CreateSecret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(await w.token()) },
      body: big,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'invalid_argument',
      message: 'request body larger than 64 KiB',
    });
  });

  test('Connect with a chunked body of unknown length', async () => {
    const w = await startWorld();
    const res = await fetch(`${w.url}${SERVICE}/CreateSecret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(await w.token()) },
      body: Readable.toWeb(Readable.from([Buffer.from(big)])) as ReadableStream<Uint8Array>,
      duplex: 'half',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_argument' });
  });

  test('gRPC with a 1 MiB message', async () => {
    const w = await startWorld();
    const out = await grpcDriver(w).create(bearer(await w.token()), JSON.parse(big) as unknown);
    expect(out).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'request body larger than 64 KiB' });
  });
});

test('shutdown ends an open reflection stream with UNAVAILABLE and completes', async () => {
  const w = await startWorld();
  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [PROTO_DIR] });
  const Ctor = serviceCtor(grpc.loadPackageDefinition(def), 'grpc.reflection.v1.ServerReflection');
  const client = new Ctor(w.target, grpc.credentials.createInsecure());
  const open = (client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, unknown>>)
    .ServerReflectionInfo;
  if (open === undefined) throw new Error('no ServerReflectionInfo');
  const stream = open.call(client);
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
  });
  const first = new Promise((resolve) => stream.once('data', resolve));
  stream.write({ listServices: '' });
  await first;
  // A generous grace: the stream must end by our status, not by the connection being cut.
  await w.server.close(20_000);
  expect(await ended).toEqual({ code: grpc.status.UNAVAILABLE, details: 'server is shutting down' });
  client.close();
});
