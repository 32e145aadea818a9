/**
 * The card records the rows a model was trained on (SHA-256 after column selection, time range, median sampling
 * interval) and the BCE clipping rule, which the runtime's scorer reads from the card (older cards: the old rule).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, parseCard, readCsv, type Series } from '@vigil/runtime';
import { BCE_CLIP_DEFAULT } from '../../runtime/model/card.ts';
import { medianStepMs, rowsSha256, TRAINING_DATA_HASH, trainingDataOf } from '../../runtime/model/training-data.ts';
import { reconstructionScores } from '../../runtime/scoring/reconstruction.ts';
import { run } from '../../train/cli.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { quietly, REPO, tempDir } from './helpers.ts';

describe('training data record', () => {
  it('hashes rows as documented (checked against Python struct + hashlib)', () => {
    const s: Series = { timestamps: Float64Array.of(1704067200000, 1704067260000), channels: ['a', 'b'], data: Float32Array.of(1.5, -2.25, 0.1, 3e5) };
    // python3: sha256(b''.join(pack('<d', t) + b''.join(pack('<f', v) for v in vs) for t, vs in rows))
    expect(rowsSha256(s)).toBe('fb82cfccaeee125b79a969c200ff16475bec899e1a83770722dbf583074becf4');
    expect(trainingDataOf(s)).toEqual({
      sha256: 'fb82cfccaeee125b79a969c200ff16475bec899e1a83770722dbf583074becf4',
      hash: TRAINING_DATA_HASH,
      rows: 2,
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-01-01T00:01:00.000Z',
      intervalMs: 60_000,
    });
  });

  it('takes the median step, so gaps and bursts do not set the interval', () => {
    expect(medianStepMs([0, 1000, 2000, 7000, 8000])).toBe(1000);
    expect(medianStepMs([0, 10, 30])).toBe(15);
    expect(medianStepMs([5])).toBeNull();
  });

  it('vigil train writes it: the hash of the selected columns (a label column left out), range and interval', async () => {
    const dir = tempDir();
    const { series } = pumpSeries(240, 3);
    const lines = toCsv(series).trim().split('\n');
    // Every 50th row is 5 minutes late: the median still says one minute.
    const csv = join(dir, 'pump.csv');
    // The label column marks one row (its windows are left out of training; its rows are still the data read).
    writeFileSync(csv, `${lines.map((l, i) => `${l},${i === 0 ? 'label' : i === 7 ? 1 : 0}`).join('\n')}\n`);
    const { value: code } = await quietly(() => run(['--data', csv, '--out', join(dir, 'm/pump'), '--epochs', '2', '--quiet', '--backend', 'wasm', '--window', '16']));
    expect(code).toBe(0);
    const { card } = loadModel(join(dir, 'm/pump'));
    expect(card.channels).not.toContain('label');
    const used = readCsv(csv, { channels: card.channels });
    expect(card.data).toEqual(trainingDataOf(used));
    expect(card.data!.rows).toBe(240);
    expect(card.data!.from).toBe(new Date(series.timestamps[0]).toISOString());
    expect(card.data!.to).toBe(new Date(series.timestamps[239]).toISOString());
    expect(card.data!.intervalMs).toBe(series.timestamps[1] - series.timestamps[0]);
    // The same rows with the label column removed hash the same: the record is of what the model saw.
    writeFileSync(join(dir, 'plain.csv'), `${lines.join('\n')}\n`);
    expect(rowsSha256(readCsv(join(dir, 'plain.csv'), { channels: card.channels }))).toBe(card.data!.sha256);
    // One changed cell changes it.
    const edited = [...lines];
    edited[100] = edited[100].replace(/,([-\d.]+)$/, (_, v: string) => `,${Number(v) + 0.5}`);
    writeFileSync(join(dir, 'edited.csv'), `${edited.join('\n')}\n`);
    expect(rowsSha256(readCsv(join(dir, 'edited.csv'), { channels: card.channels }))).not.toBe(card.data!.sha256);
    expect(card.scoring.bceClip).toBeUndefined(); // mse
  }, 120_000);
});

describe('BCE clipping rule', () => {
  // One window of one row, one channel: target 1 (clipped from 1.4), reconstruction 0 (clipped to eps).
  const x = Float32Array.of(1.4);
  const y = Float32Array.of(0);
  const score = (bceClip?: { targetMin: number; targetMax: number; eps: number }) => reconstructionScores(x, y, 1, 1, 1, { error: 'bce', span: 1, ...(bceClip ? { bceClip } : {}) }).scores[0];

  it('the runtime scores with the card rule, and with the old rule when the card has none', () => {
    expect(score()).toBeCloseTo(-Math.log(1e-7), 4);
    expect(score(BCE_CLIP_DEFAULT)).toBe(score());
    expect(score({ targetMin: 0, targetMax: 1, eps: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 4);
    // targetMax 0.5: half of the loss weight moves to log(1 - p) = log(1 - eps) ~ 0.
    expect(score({ targetMin: 0, targetMax: 0.5, eps: 1e-3 })).toBeCloseTo(-0.5 * Math.log(1e-3) - 0.5 * Math.log(1 - 1e-3), 4);
  });

  it('vigil train --loss bce records the rule it calibrated under; a bad rule is refused naming the key', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pump.csv'), toCsv(pumpSeries(200, 5).series));
    const { value: code } = await quietly(() => run(['--data', join(dir, 'pump.csv'), '--out', join(dir, 'b/pump'), '--epochs', '2', '--quiet', '--backend', 'wasm', '--window', '16', '--loss', 'bce']));
    expect(code).toBe(0);
    const path = join(dir, 'b/pump.json');
    const card = JSON.parse(readFileSync(path, 'utf8'));
    expect(card.scoring).toMatchObject({ error: 'bce', bceClip: BCE_CLIP_DEFAULT });
    expect(() => parseCard({ ...card, scoring: { ...card.scoring, bceClip: { targetMin: 1, targetMax: 0, eps: 1e-7 } } }, 'card')).toThrow(/scoring\.bceClip\.targetMax: expected targetMin < targetMax/);
    expect(() => parseCard({ ...card, scoring: { ...card.scoring, bceClip: { targetMin: 0, targetMax: 1, eps: 0 } } }, 'card')).toThrow(/scoring\.bceClip\.eps/);
  }, 120_000);

  it('the demo model card, written before these fields, still loads', () => {
    const { card } = loadModel(join(REPO, 'models/machine_temperature'));
    expect(card.data).toBeUndefined();
    expect(card.scoring.bceClip).toBeUndefined();
  });
});
