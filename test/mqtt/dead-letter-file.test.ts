/** Dead-letter files: one JSON line per rejection, rotation at the size limit, and what a burst the disk cannot keep up with drops, said. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterSink } from '../../runtime/mqtt/dead-letter.ts';
import { capturingLogger } from '../ops/harness.ts';

describe('dead-letter file', () => {
  it('writes one JSON line per rejection, previews payloads, and rotates at the size limit', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-dl-')), 'dead.jsonl');
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 600 });
    const big = new Uint8Array(5000).fill(0xff);
    sink.write({ reason: 'too_large', detail: 'd', topic: 't', payload: big, receivedAt: 0 });
    for (let i = 0; i < 5; i++) sink.write({ reason: 'bad_json', detail: `line ${i}`, topic: 't', payload: Buffer.from('{'), receivedAt: 0 });
    await sink.close();
    const rotated = readFileSync(`${file}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rotated[0]).toMatchObject({ reason: 'too_large', payloadBytes: 5000, payloadEncoding: 'base64', truncated: true });
    expect(Buffer.from(rotated[0].payload, 'base64').length).toBe(1024);
    expect(existsSync(file)).toBe(true);
    const all = [...rotated, ...readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))];
    expect(all.map((d) => d.detail)).toEqual(['d', 'line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
  });
});

describe('dead-letter file behind the disk', () => {
  it('drops letters past its backlog bound with a warning line that counts them (a probe: 17,268 dropped, nothing logged)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-dl-')), 'dead.jsonl');
    const { lines, logger } = capturingLogger();
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 1 << 30, log: logger });
    // About 3 MiB in one tick: the stream cannot have written more than the first line when the bound is passed.
    const payload = Buffer.from('x'.repeat(1000));
    for (let i = 0; i < 3000; i++) sink.write({ reason: 'bad_json', detail: `line ${i}`, topic: 't', payload, receivedAt: 0 });
    await sink.close();
    const written = readFileSync(file, 'utf8').trim().split('\n').length;
    const warned = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('dead-letter file behind'));
    expect(written).toBeLessThan(3000);
    expect(warned.reduce((a, l) => a + (l.dropped as number), 0)).toBe(3000 - written);
    expect(warned[0]).toMatchObject({ level: 40, file });
  });
});
