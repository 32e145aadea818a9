/**
 * Channels constant in training are fed to the model at their training value by every session vigil opens (a review:
 * only the live pipeline held them; a hot reload's residual seeding, the second opinion and `vigil latent` fed the
 * step), the input comes back as measured, and a card naming one twice or out of range is refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/model/load.ts';
import { openSession } from '../../runtime/inference/open-model.ts';
import { holdingConstants } from '../../runtime/scoring/constant-inputs.ts';
import { parseCard, type Scoring } from '../../runtime/model/card.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import type { InferenceSession } from '../../runtime/inference/backend.ts';

describe('constant channels held for the model', () => {
  it('a session opened for a card with scoring.constant feeds the model the training value and gives the input back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-const-'));
    // The model outputs each channel's mean over the window: what it was fed, visibly.
    const model = writeTinyModel(dir, { name: 'c', window: 2, channels: ['flow', 'setpoint'], layers: [meanLayer(2, 2)], threshold: 3 });
    const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
    writeFileSync(`${model}.json`, JSON.stringify({ ...card, scoring: { ...card.scoring, constant: [1] } }));
    const { session } = await openSession(loadModel(model), { providers: ['cpu'] });
    try {
      const input = Float32Array.from([1, 6, 3, 6]);
      const out = await session.run(input, 1);
      expect(Array.from(out.reconstruction)).toEqual([2, 0, 2, 0]);
      expect(Array.from(input)).toEqual([1, 6, 3, 6]);
    } finally {
      await session.close();
    }
    // Without the field: fed as measured.
    writeFileSync(`${model}.json`, JSON.stringify(card));
    const plain = await openSession(loadModel(model), { providers: ['cpu'] });
    expect(Array.from((await plain.session.run(Float32Array.from([1, 6, 3, 6]), 1)).reconstruction)).toEqual([2, 6, 2, 6]);
    await plain.session.close();
  });

  it('gives the input back when the model call fails, and is the session itself without constants', async () => {
    const failing: InferenceSession = { provider: 'x', run: async () => Promise.reject(new Error('boom')), close: async () => {} };
    const scoring: Scoring = { error: 'mse', span: 1, constant: [0] };
    const input = Float32Array.from([5, 1, 5, 1]);
    await expect(holdingConstants(failing, scoring, 2, 2).run(input, 1)).rejects.toThrow('boom');
    expect(Array.from(input)).toEqual([5, 1, 5, 1]);
    expect(holdingConstants(failing, { error: 'mse', span: 1 }, 2, 2)).toBe(failing);
  });

  it('a card naming a constant channel twice, or one it does not have, is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-const-card-'));
    const card = JSON.parse(readFileSync(`${writeTinyModel(dir, { name: 'c', window: 2, channels: ['a', 'b'], threshold: 3 })}.json`, 'utf8'));
    expect(() => parseCard({ ...card, scoring: { ...card.scoring, constant: [1, 1] } }, 'card')).toThrow(/card: scoring\.constant names channel 1 twice; expected each channel once/);
    expect(() => parseCard({ ...card, scoring: { ...card.scoring, constant: [2] } }, 'card')).toThrow(/card: scoring\.constant names channel 2; expected indexes below 2/);
  });
});
