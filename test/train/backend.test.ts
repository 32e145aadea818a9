/** Backend selection: fastest available by default, forced by name, unknown names refused with the list. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../train/backend.ts';

describe('training backend selection', () => {
  it('auto picks tfjs-node when it loads, else wasm, and says why it skipped faster ones', async () => {
    const c = await selectBackend();
    expect(['tensorflow', 'wasm']).toContain(c.name);
    if (c.name === 'wasm') expect(c.failures.map((f) => f.backend)).toEqual(['tensorflow']);
    expect(tf.getBackend()).toBe(c.name);
  });
  it('forces cpu, then wasm again, and trains-relevant ops run on each', async () => {
    for (const name of ['cpu', 'wasm']) {
      const c = await selectBackend(name);
      expect(c.name).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.pad(x, [[1, 1]]))))(tf.tensor1d([1, 2])).arraySync());
      expect(g).toEqual([2, 4]);
    }
  });
  it('refuses an unknown backend name with the accepted ones', async () => {
    await expect(selectBackend('gpu')).rejects.toThrow(/unknown training backend 'gpu'; expected one of auto, tensorflow, wasm, cpu/);
  });
});
