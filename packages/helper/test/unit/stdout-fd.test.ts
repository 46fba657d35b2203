import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdWriter } from '../../src/stdout-fd';
import { tempDir } from '../helpers';

const noStream = (): NodeJS.WritableStream => {
  throw new Error('the stream must not be created');
};

describe('fdWriter', () => {
  it('writes every text whole, in order, without creating the stream', () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    try {
      const write = fdWriter(fd, noStream);
      expect(write('first line\n')).toBe(true);
      expect(write(`${'é'.repeat(100_000)}\n`)).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe(`first line\n${'é'.repeat(100_000)}\n`);
  });

  it('reports a reader that is gone (closed descriptor) without throwing, then stays quiet', () => {
    const fd = openSync(join(tempDir(), 'out'), 'w');
    closeSync(fd);
    const write = fdWriter(fd, noStream);
    expect(write('x\n')).toBe(false);
    expect(write('y\n')).toBe(false);
  });

  it('hands a non-blocking socket that is full (EAGAIN) to the stream, keeping the order', async () => {
    // A reader that reads nothing until the writer is done: the socket's buffers fill first.
    let received: Buffer[] = [];
    let reader: Socket | undefined;
    const done = new Promise<void>((resolve) => {
      const server = createServer((socket) => {
        reader = socket;
        socket.pause();
        received = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('end', () => {
          server.close();
          resolve();
        });
      });
      server.listen(join(tempDir(), 'sock'), () => {
        const address = server.address() as string;
        client = connect(address);
      });
    });
    let client: Socket | undefined;
    await new Promise<void>((resolve) => {
      const wait = () => (client !== undefined && reader !== undefined ? resolve() : setTimeout(wait, 5));
      wait();
    });
    const stream = client as Socket;
    const fd = (stream as unknown as { _handle: { fd: number } })._handle.fd;
    let created = 0;
    const write = fdWriter(fd, () => {
      created++;
      return stream;
    });
    const big = 'a'.repeat(8 * 1024 * 1024);
    expect(write(big)).toBe(true);
    expect(write('tail\n')).toBe(true);
    expect(created).toBe(1);
    stream.end();
    (reader as Socket).resume();
    await done;
    expect(Buffer.concat(received).toString('utf8')).toBe(`${big}tail\n`);
  });
});
