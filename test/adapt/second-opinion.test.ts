/**
 * The previous model's second opinion on windows flagged after a swap (runtime/adapt/second-opinion.ts), on a real
 * ONNX pair: each window is judged on its own, except with a residual memory, where one state per sensor is carried
 * from suspect to suspect so a persistent shift the memory flagged builds up there too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openPrevious } from '../../runtime/adapt/second-opinion.ts';
import { MEMORY_LAMBDA } from '../../runtime/scoring/residual-memory.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { tempDir } from '../train/helpers.ts';

/** A 2 x 2 model reconstructing each channel as its window mean, Mahalanobis on the last row, bar 4. */
function previousModel(memory: boolean, flatline = false): string {
  const path = writeTinyModel(tempDir('vigil-second-'), { name: 'prev', window: 2, channels: ['a', 'b'], layers: [meanLayer(2, 2)], threshold: 4 });
  const card = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
  card.scoring = {
    error: 'mahalanobis', span: 1,
    residual: { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0, below: 2 }, ...(memory ? { memory: { lambda: MEMORY_LAMBDA, scale: 20, clip: 4, method: 'test' } } : {}) },
    ...(flatline ? { flatline: { channels: [0, 1], score: 8, method: 'test' } } : {}),
  };
  writeFileSync(`${path}.json`, JSON.stringify(card));
  return path;
}

// Rows (0, 0) then (1.6, 0): the last row's residual is 0.8 on channel a, its own statistic 0.32, far under the bar.
const suspects = Array.from({ length: 30 }, (_, k) => ({ window: { sensor: 'p', tsFirst: k, tsLast: k + 1, data: Float32Array.from([0, 0, 1.6, 0]) }, bar: 1 }));

describe('second opinion of the previous model', () => {
  it('judges each window on its own: a small lasting shift is not confirmed', async () => {
    const previous = await openPrevious(previousModel(false), [], 0);
    try {
      expect((await previous.judge(suspects)).filter(Boolean)).toHaveLength(0);
    } finally {
      await previous.close();
    }
  });

  it('judges a window with a still channel stuck, unless a row of it was forward-filled (it was not judged live either)', async () => {
    const previous = await openPrevious(previousModel(false, true), [], 0);
    try {
      // Channel b holds 0.5 over both rows; the model alone scores the window far under the bar.
      const still = { sensor: 'p', tsFirst: 1, tsLast: 2, data: Float32Array.from([0, 0.5, 0.1, 0.5]) };
      expect(await previous.judge([{ window: still, bar: 1 }, { window: { ...still, filled: true }, bar: 1 }])).toEqual([true, false]);
    } finally {
      await previous.close();
    }
  });

  it('with a residual memory, confirms the shift once the memory has seen it persist, as streaming would', async () => {
    const previous = await openPrevious(previousModel(true), [], 0);
    try {
      // 20 x 0.32 x (1 - 0.9^k)^2 passes the bar from the 15th window of the shift on (judged in batches of 64 or
      // one at a time alike: the state is the sensor's, not the batch's).
      const together = await previous.judge(suspects);
      expect(together.slice(0, 13).some(Boolean)).toBe(false);
      expect(together.slice(15).every(Boolean)).toBe(true);
      // Asked out of order (the watch samples its suspects), they are judged in time order: the same answers, in the
      // order asked.
      const again = await openPrevious(previousModel(true), [], 0);
      const shuffled = [...suspects.keys()].sort((a, b) => ((a * 7) % 30) - ((b * 7) % 30));
      const answers = await again.judge(shuffled.map((k) => suspects[k]));
      await again.close();
      expect(answers).toEqual(shuffled.map((k) => together[k]));
    } finally {
      await previous.close();
    }
  });
});
