import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { nodeTransport } from '../src/http/node-transport';
import type { HttpRequest, HttpResponse, Transport } from '../src/http/transport';
import type { Io } from '../src/io';
import { run } from '../src/run';

/** A temp dir removed when the test ends. */
export function tempDir(prefix = 'dodil-helper-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runWith}. */
export interface RunOptions {
  program?: string;
  stdin?: string | Uint8Array;
  env?: Record<string, string | undefined>;
  transport?: Transport;
}

/** Runs the program in-process with an in-memory Io. The env gets a private config path unless given. */
export async function runWith(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const input = opts.stdin ?? '';
  const io: Io = {
    stdin: () =>
      (async function* () {
        if (input.length > 0) yield typeof input === 'string' ? Buffer.from(input) : input;
      })(),
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: opts.env ?? { DODIL_CONFIG: join(tempDir(), 'config.json') },
    transport: opts.transport ?? nodeTransport,
    now: () => 1_700_000_000_000,
  };
  const code = await run([opts.program ?? '/usr/local/bin/dodil'], argv, io);
  return { code, stdout, stderr };
}

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** A canned answer: status and JSON body (or raw text). */
export interface FakeAnswer {
  status: number;
  json?: unknown;
  text?: string;
}

/** A real HTTP server on 127.0.0.1:0, answering with `handler`; closed when the test ends. */
export async function fakeServer(
  handler: (req: SeenRequest) => FakeAnswer | Promise<FakeAnswer>,
): Promise<{ url: string; requests: SeenRequest[] }> {
  const requests: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      void Promise.resolve(handler(seen)).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.text ?? JSON.stringify(answer.json ?? {}));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** An in-memory transport answering from a route table; records requests. */
export function fakeTransport(handler: (req: HttpRequest) => FakeAnswer): {
  transport: Transport;
  requests: HttpRequest[];
} {
  const requests: HttpRequest[] = [];
  const transport: Transport = async (req): Promise<HttpResponse> => {
    requests.push(req);
    const answer = handler(req);
    return { status: answer.status, body: answer.text ?? JSON.stringify(answer.json ?? {}) };
  };
  return { transport, requests };
}

/** Metadata as the server renders it. */
export function meta(
  name: string,
  type: 'git_secret' | 'registry_secret',
  created = '1700000000000',
  updated = created,
) {
  return { name, type, createdAtMs: created, updatedAtMs: updated };
}

/** A GetSecret answer for a git slot. */
export function gitSlot(name: string, username: string, token: string) {
  return { metadata: meta(name, 'git_secret'), value: { gitSecret: { username, token } } };
}

/** A GetSecret / registry-secrets entry for a registry slot. */
export function registrySlot(name: string, username: string, password: string, serverAddress: string) {
  return {
    metadata: meta(name, 'registry_secret'),
    value: { registrySecret: { username, password, serverAddress } },
  };
}

/** An error body as the server writes it. */
export function errorBody(code: number, message: string) {
  return { code, message, details: [] };
}
