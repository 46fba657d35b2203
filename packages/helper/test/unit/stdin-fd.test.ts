import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll, readUntilBlankLine } from '../../src/io';
import { readFd } from '../../src/stdin-fd';
import { tempDir } from '../helpers';

async function* never(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('fallback');
}

describe('readFd', () => {
  it('reads a descriptor to EOF in chunks', async () => {
    const file = join(tempDir(), 'in');
    const text = 'x'.repeat(200_000);
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      expect(await readAll(readFd(fd, never), 1_000_000)).toBe(text);
    } finally {
      closeSync(fd);
    }
  });

  it('stops at the blank line that ends a git credential block', async () => {
    const file = join(tempDir(), 'in');
    writeFileSync(file, 'protocol=https\nhost=h\n\nignored=1\n');
    const fd = openSync(file, 'r');
    try {
      expect(await readUntilBlankLine(readFd(fd, never), 1000)).toBe('protocol=https\nhost=h\n');
    } finally {
      closeSync(fd);
    }
  });

  it('falls back to the stream when the descriptor cannot be read directly', async () => {
    const fd = openSync(tempDir(), 'r');
    try {
      expect(await readAll(readFd(fd, never), 1000)).toBe('fallback');
    } finally {
      closeSync(fd);
    }
  });

  it('readAll and readUntilBlankLine refuse input over the limit (exit 2)', async () => {
    const big = async function* () {
      yield Buffer.alloc(3000, 0x61);
    };
    await expect(readAll(big(), 1000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readUntilBlankLine(big(), 1000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
