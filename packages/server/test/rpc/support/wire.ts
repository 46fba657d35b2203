import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import type { SecureClientSessionOptions } from 'node:http2';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/*
 * Hand-rolled wire helpers, so tests check bytes without the server's own
 * protobuf code: protobuf string fields, gRPC envelopes, HTTP/2 requests.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    out.push(v >= 128 ? (v % 128) | 0x80 : v);
    if (v < 128) return out;
  }
}

/** A protobuf message made of string fields: `[[fieldNumber, text], …]`. */
export function protoStrings(fields: [number, string][]): Buffer {
  return Buffer.concat(
    fields.map(([no, text]) => {
      const bytes = Buffer.from(text, 'utf8');
      return Buffer.concat([Buffer.from([(no << 3) | 2, ...varint(bytes.length)]), bytes]);
    }),
  );
}

/** One gRPC / gRPC-Web frame: flag byte, 4-byte big-endian length, payload. */
export function envelope(payload: Buffer, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flag, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Splits a gRPC-Web response body into data frames and the trailer block. */
export function grpcWebFrames(body: Buffer): { data: Buffer[]; trailers: Record<string, string> } {
  const data: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let i = 0;
  while (i + 5 <= body.length) {
    const flag = body.readUInt8(i);
    const len = body.readUInt32BE(i + 1);
    const payload = body.subarray(i + 5, i + 5 + len);
    i += 5 + len;
    if ((flag & 0x80) === 0) {
      data.push(payload);
      continue;
    }
    for (const line of payload.toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return { data, trailers };
}

/** One HTTP/2 request (h2c prior knowledge for http:, ALPN h2 for https:). */
export function http2Request(
  origin: string,
  headers: Record<string, string>,
  body?: Buffer,
  tls?: SecureClientSessionOptions,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const session = connectHttp2(origin, tls);
  onTestFinished(() => session.destroy());
  return new Promise((resolve, reject) => {
    session.once('error', reject);
    const req = session.request(headers, body === undefined ? { endStream: true } : {});
    const chunks: Buffer[] = [];
    let status = 0;
    const got: Record<string, string> = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      for (const [k, v] of Object.entries(h)) if (typeof v === 'string') got[k] = v;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('error', reject);
    req.on('end', () => {
      session.close();
      resolve({ status, headers: got, body: Buffer.concat(chunks) });
    });
    if (body !== undefined) req.end(body);
  });
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost (openssl). */
export function selfSignedCert(dir: string): { cert: Buffer; key: Buffer } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
