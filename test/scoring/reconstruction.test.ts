/**
 * The squared-error scores (the runtime's hot path, summed four channels at a time) against the plainest
 * statement of the card's rule: per channel, the mean over the span's trailing rows of the squared error, summed
 * row by row; the window's score, the mean over channels in order. Bit for bit, for every channel count's remainder.
 */
import { describe, expect, it } from 'vitest';
import { reconstructionScores } from '../../runtime/scoring/reconstruction.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

function plain(input: Float32Array, output: Float32Array, n: number, W: number, C: number, span: number) {
  const s = Math.min(span, W);
  const scores = new Float32Array(n);
  const perChannel = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let t = W - s; t < W; t++) {
        const k = (i * W + t) * C + c;
        sum += (input[k] - output[k]) ** 2;
      }
      perChannel[i * C + c] = sum / s;
      total += sum / s;
    }
    scores[i] = total / C;
  }
  return { scores, perChannel };
}

describe('reconstructionScores (mse)', () => {
  it('gives the plain per-channel rule bit for bit, whatever the channel count and span', () => {
    const rand = mulberry32(7);
    for (const C of [1, 2, 3, 4, 5, 7, 8, 9, 13]) {
      for (const [W, span] of [[6, 1], [6, 4], [6, 6], [5, 9]]) {
        const n = 5;
        const input = Float32Array.from({ length: n * W * C }, () => rand() * 4 - 2);
        const output = Float32Array.from({ length: n * W * C }, () => rand() * 4 - 2);
        const got = reconstructionScores(input, output, n, W, C, { error: 'mse', span } as never);
        const want = plain(input, output, n, W, C, span);
        expect(Array.from(got.perChannel)).toEqual(Array.from(want.perChannel));
        expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      }
    }
  });

  it('scores each channel from its own column: an error in one channel of one window lands there only', () => {
    const W = 3;
    const C = 6;
    const input = new Float32Array(2 * W * C);
    const output = new Float32Array(2 * W * C);
    // Window 1, last row, channel 5 (the remainder after a group of four): error 3.
    input[(1 * W + 2) * C + 5] = 3;
    const { scores, perChannel } = reconstructionScores(input, output, 2, W, C, { error: 'mse', span: 2 } as never);
    expect(Array.from(perChannel)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4.5]);
    expect(Array.from(scores)).toEqual([0, 0.75]);
  });
});
