/**
 * `vigil adapt` on a model with a channel constant in training (held at its training value for the model:
 * runtime/scoring/constant-inputs.ts) and recent data where it moves: an assist pump idle through training and
 * running later (a probe's booster station). Its check that the model rebuilt for fine-tuning is the served one fed
 * the rebuilt model the channel unheld and stopped with "please report this as a bug"; now it decides.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { loadModel } from '@vigil/runtime';
import { trainModel } from '../../train/train.ts';
import { adaptModel } from '../../train/adapt/adapt.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { tempDir } from './helpers.ts';

const C = 8;

describe('vigil adapt with a channel constant in training', { timeout: 180_000 }, () => {
  it('rebuilds the served model with the channel held as it is served, and decides', async () => {
    const dir = tempDir('vigil-adapt-constant-');
    // Channel 5 (voltage) held at 230 through training, moving a little in the recent data.
    const train = pumpSeries(600, 21).series;
    for (let r = 0; r < 600; r++) train.data[r * C + 5] = 230;
    const recent = pumpSeries(700, 22).series;
    for (let r = 0; r < 700; r++) recent.data[r * C + 5] = 230 + 0.5 * Math.sin(r / 7);
    writeFileSync(`${dir}/train.csv`, toCsv(train));
    writeFileSync(`${dir}/recent.csv`, toCsv({ ...recent, timestamps: recent.timestamps.map((t) => t + 86_400_000) }));
    const res = await trainModel({ data: `${dir}/train.csv`, out: `${dir}/m/pump`, epochs: 8, backend: 'wasm' });
    res.model.dispose();
    expect(loadModel(`${dir}/m/pump`).card.scoring.constant).toContain(5);
    const notes: string[] = [];
    const decision = await adaptModel({ model: `${dir}/m/pump`, data: `${dir}/recent.csv`, backend: 'wasm', epochs: 3, onNote: (n) => notes.push(n) });
    // Adapted or refused by a check, as the data says: a decision, not a failure (the check threw before).
    expect(['adapted', 'refused']).toContain(decision.kind);
    // And it says what it does with the held channel.
    expect(notes.join('\n')).toMatch(/voltage: constant in training \(held at that value for the model\), moving in the recent data/);
  });
});
