import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { createBufferedWriter } from '../../src/edge/buffered-writer';

describe('the buffered log writer', () => {
  test('lines of one event-loop turn go out in one write, in order, at the end of the turn', async () => {
    const writes: string[] = [];
    const out = createBufferedWriter((text) => writes.push(text));
    out.write('a\n');
    out.write('b\n');
    out.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    out.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  test('flush writes what is queued at once, and nothing is written twice', async () => {
    const writes: string[] = [];
    const out = createBufferedWriter((text) => writes.push(text));
    out.write('x\n');
    out.flush();
    expect(writes).toEqual(['x\n']);
    out.flush();
    await nextTurn();
    expect(writes).toEqual(['x\n']);
  });

  test('a full buffer is written without waiting for the turn to end (bounded memory)', () => {
    const writes: string[] = [];
    const out = createBufferedWriter((text) => writes.push(text));
    const line = `${'y'.repeat(1023)}\n`;
    for (let i = 0; i < 200; i++) out.write(line);
    expect(writes.length).toBeGreaterThanOrEqual(3);
    for (const w of writes) expect(w.length).toBeLessThanOrEqual(64 * 1024 + line.length);
    out.flush();
    expect(writes.join('')).toBe(line.repeat(200));
  });
});
