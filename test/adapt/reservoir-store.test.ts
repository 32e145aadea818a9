/**
 * The reservoir's file at start (runtime/adapt/reservoir-store.ts): a file of the model served before a change of
 * channels, or a spoilt one, is set aside as FILE.corrupt-TIME and said, not overwritten by the first write of the
 * empty reservoir that replaces it (before, a restart with a model of a fourth channel lost the previous model's
 * reservoir and canaries within `reservoir.intervalMs`, though docs/adapt.md said it was set aside). And when the last
 * adaptation was attempted survives a restart with the file (before, the runtime counted `everyMs` from its own start:
 * a gateway restarted more often than every 6 h never adapted).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReservoirSchema } from '../../runtime/adapt/config.ts';
import { writeReservoir } from '../../runtime/adapt/reservoir-file.ts';
import { ReservoirStore } from '../../runtime/adapt/reservoir-store.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import { createLogger } from '../../runtime/ops/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-reservoir-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A card as far as the store reads it. */
const card = (channels: string[]) => ({ name: 'pump', version: '1', window: 4, channels }) as unknown as ModelCard;
const three = ['a', 'b', 'c'];

function open(file: string, channels: string[]) {
  const logs: string[] = [];
  const cfg = ReservoirSchema.parse({ file, intervalMs: 60_000 });
  const store = new ReservoirStore(cfg, createLogger('info', { write: (s: string) => void logs.push(s) }), card(channels));
  store.stopTimer();
  return { store, logs };
}

describe('reservoir file at start', () => {
  it('sets aside a file of another shape, keeps its bytes, says where, and writes the new reservoir beside it', async () => {
    const file = join(dir, 'shape-{name}.json');
    const path = join(dir, 'shape-pump.json');
    const data = new Float32Array(4 * 3).fill(1);
    writeReservoir(path, { model: { name: 'pump', window: 4, channels: three }, windows: [{ sensor: 's1', tsFirst: 0, tsLast: 3000, data }], canaries: [], fresh: 1, guards: {} });
    const before = readFileSync(path);
    const { store, logs } = open(file, [...three, 'd']);
    expect(store.reservoir.size).toBe(0);
    const aside = readdirSync(dir).filter((f) => f.startsWith('shape-pump.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]))).toEqual(before);
    expect(logs.join('')).toMatch(new RegExp(`adaptation reservoir not restored; set aside as .*${aside[0]}; starting an empty one`));
    await store.persist();
    expect(readFileSync(join(dir, aside[0]))).toEqual(before);
  });

  it('sets aside a truncated file', () => {
    const path = join(dir, 'cut-pump.json');
    writeFileSync(path, '{"format":"vigil-reservoir","ver');
    const { store, logs } = open(join(dir, 'cut-{name}.json'), three);
    expect(store.reservoir.size).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('cut-pump.json.corrupt-'))).toHaveLength(1);
    expect(logs.join('')).toMatch(/set aside as/);
  });
});

describe('the last attempt across a restart', () => {
  it('is kept in the file, by both writers, and restored with it', async () => {
    const file = join(dir, 'attempt-{name}.json');
    const at = Date.UTC(2026, 11, 7, 4, 0, 0);
    const first = open(file, three).store;
    expect(first.reservoir.lastAttemptAt).toBeUndefined();
    first.reservoir.markAttempt(at);
    await first.persist();
    expect(open(file, three).store.reservoir.lastAttemptAt).toBe(at);
    // The synchronous writer (vigil adapt's tests, a stop) keeps it too; a file without one restores none.
    const path = join(dir, 'attempt-pump.json');
    writeReservoir(path, { ...open(file, three).store.reservoir.snapshot(), attemptedAt: at + 1 });
    expect(open(file, three).store.reservoir.lastAttemptAt).toBe(at + 1);
    writeReservoir(path, { model: { name: 'pump', window: 4, channels: three }, windows: [], canaries: [], fresh: 0, guards: {} });
    expect(open(file, three).store.reservoir.lastAttemptAt).toBeUndefined();
  });
});
